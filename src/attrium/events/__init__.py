"""Events: what customers did, recorded as entries of the activity log."""
