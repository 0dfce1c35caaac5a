from attrium.cli import main

main()
