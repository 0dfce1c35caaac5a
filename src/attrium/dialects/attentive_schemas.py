"""Attentive's request bodies, as its seed pages and its current public API document them.

Where the two differ, both are accepted: `customIdentifiers` items by `name` (v1, seed)
or `key` (v2); v2 subscriptions by `type` (seed) or `subscriptionType`; v2 `attributes`
as the seed's flat map of custom attributes or today's `{custom, firstName, lastName,
demographic, location, locale}` (see `UserAttributes`).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

MAX_CLIENT_USER_ID_CHARS = 100
SubscriptionTypeName = Literal["MARKETING", "TRANSACTIONAL"]


class VendorModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CustomIdentifier(VendorModel):
    name: str | None = None  # v1 and the seed
    key: str | None = None  # v2
    value: str

    @model_validator(mode="after")
    def one_name(self) -> "CustomIdentifier":
        if (self.name is None) == (self.key is None):
            raise ValueError("a custom identifier has a name (v1) or a key (v2), not both")
        return self

    @property
    def identifier_name(self) -> str:
        return self.key if self.key is not None else self.name or ""


class ExternalIdentifiers(VendorModel):
    client_user_id: str | None = Field(
        default=None, alias="clientUserId", max_length=MAX_CLIENT_USER_ID_CHARS
    )
    shopify_id: str | None = Field(default=None, alias="shopifyId")
    klaviyo_id: str | None = Field(default=None, alias="klaviyoId")
    custom_identifiers: list[CustomIdentifier] | None = Field(
        default=None, alias="customIdentifiers"
    )

    def custom(self) -> list[tuple[str, str]]:
        """Custom identifiers by name; Shopify and Klaviyo ids are custom identifiers too."""
        named = [(item.identifier_name, item.value) for item in self.custom_identifiers or []]
        return named + [
            (name, value)
            for name, value in (("shopifyId", self.shopify_id), ("klaviyoId", self.klaviyo_id))
            if value is not None
        ]


class EventUser(VendorModel):
    phone: str | None = None
    email: str | None = None
    external_identifiers: ExternalIdentifiers | None = Field(
        default=None, alias="externalIdentifiers"
    )


# When the data is from, RFC 3339 with its offset (as Attentive's events take it): an
# older write leaves newer values (customers.timing).
OCCURRED_AT = Field(
    default=None,
    alias="occurredAt",
    description="when the data is from (RFC 3339 with its offset); default: now",
)


class CustomAttributesIn(VendorModel):
    properties: dict[str, Any]
    user: EventUser
    occurred_at: str | None = OCCURRED_AT


class UserIdentifiers(ExternalIdentifiers):
    phone: str | None = None
    email: str | None = None


class LocaleIn(VendorModel):
    language: str | None = None  # ISO 639-1
    country: str | None = None  # ISO 3166-1 alpha-2

    def tag(self) -> str | None:
        """`en` and `US` as `en-US`, the language tag the subscription rules take."""
        parts = [part for part in (self.language, self.country) if part]
        return "-".join(parts) or None


class Demographic(VendorModel):
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    language: str | None = None
    date_of_birth: str | None = Field(default=None, alias="dateOfBirth")
    age: int | None = None
    organization: str | None = None
    title: str | None = None
    website: str | None = None


class Location(VendorModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # latitude 40.73, zip 11222

    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    country: str | None = None
    region: str | None = None
    timezone: str | None = None


# Where each personal detail is stored: (group in `attributes`, Attentive's field) to the
# catalog attribute. Documented in docs/dialects.md; a detail overrides a custom
# attribute of the same name sent in the same request.
PERSONAL_ATTRIBUTES: dict[tuple[str, str], str] = {
    ("", "firstName"): "first_name",
    ("", "lastName"): "last_name",
    ("demographic", "firstName"): "first_name",
    ("demographic", "lastName"): "last_name",
    ("demographic", "language"): "language",
    ("demographic", "dateOfBirth"): "date_of_birth",
    ("demographic", "age"): "age",
    ("demographic", "organization"): "organization",
    ("demographic", "title"): "title",
    ("demographic", "website"): "website",
    ("location", "address1"): "address_1",
    ("location", "address2"): "address_2",
    ("location", "city"): "city",
    ("location", "state"): "state",
    ("location", "zip"): "zip",
    ("location", "latitude"): "latitude",
    ("location", "longitude"): "longitude",
    ("location", "country"): "country",
    ("location", "region"): "region",
    ("location", "timezone"): "timezone",
    ("locale", "language"): "locale_language",
    ("locale", "country"): "locale_country",
}
_GROUPS = ("custom", "demographic", "location", "locale")
_NAMES = ("firstName", "lastName")


class UserAttributes(VendorModel):
    """v2 `attributes`: personal details, `custom`, and (the seed's form) flat custom ones.

    `custom`, `demographic`, `location` and `locale` are today's groups when they hold
    objects (a custom attribute is never an object); every other key, and those four
    with a scalar value, is a custom attribute as the seed sends it.
    """

    # Other keys are the seed's flat custom attributes, gathered into `flat`.
    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    demographic: Demographic | None = None
    location: Location | None = None
    locale: LocaleIn | None = None
    custom: dict[str, Any] | None = None
    flat: SkipJsonSchema[dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def split_flat(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        structured = {
            key: value
            for key, value in data.items()
            if key in _NAMES or (key in _GROUPS and isinstance(value, dict))
        }
        flat = {key: value for key, value in data.items() if key not in structured}
        return {**structured, "flat": flat}

    def personal(self) -> dict[tuple[str, str], Any]:
        """The personal details given, by (group, Attentive field); groups in order of
        precedence (the top-level names win over `demographic`'s)."""
        given: dict[tuple[str, str], Any] = {}
        for group, model in (
            ("demographic", self.demographic),
            ("location", self.location),
            ("locale", self.locale),
        ):
            if model is not None:
                dumped = model.model_dump(by_alias=True, exclude_none=True)
                given.update({(group, name): value for name, value in dumped.items()})
        for name, value in (("firstName", self.first_name), ("lastName", self.last_name)):
            if value is not None:
                given[("", name)] = value
        return given


class Subscription(VendorModel):
    """One v2 subscription: the seed names its type `type`, today's API `subscriptionType`."""

    channel: Literal["TEXT", "EMAIL"]
    type: SubscriptionTypeName | None = None
    subscription_type: SubscriptionTypeName | None = Field(default=None, alias="subscriptionType")
    sign_up_source_id: str | int | None = Field(default=None, alias="signUpSourceId")
    locale: str | LocaleIn | None = None
    single_opt_in: bool | None = Field(default=None, alias="singleOptIn")

    @model_validator(mode="after")
    def one_type(self) -> "Subscription":
        if self.type and self.subscription_type and self.type != self.subscription_type:
            raise ValueError("type and subscriptionType name different subscription types")
        return self

    @property
    def chosen_type(self) -> SubscriptionTypeName | None:
        return self.subscription_type or self.type

    @property
    def locale_tag(self) -> str | None:
        return self.locale.tag() if isinstance(self.locale, LocaleIn) else self.locale


class UserPropertiesIn(VendorModel):
    attributes: UserAttributes | None = None
    subscriptions: list[Subscription] | None = None
    identifiers: UserIdentifiers
    occurred_at: str | None = OCCURRED_AT


class SubscriberUser(VendorModel):
    phone: str | None = None
    email: str | None = None


class SubscribeIn(VendorModel):
    """v1 Subscribers API, `POST /v1/subscriptions`: the sign-up source decides the channel."""

    user: SubscriberUser
    sign_up_source_id: str | int | None = Field(default=None, alias="signUpSourceId")
    external_identifiers: ExternalIdentifiers | None = Field(
        default=None, alias="externalIdentifiers"
    )
    locale: LocaleIn | None = None
    subscription_type: SubscriptionTypeName | None = Field(default=None, alias="subscriptionType")
    single_opt_in: bool | None = Field(default=None, alias="singleOptIn")
