from kasa.entrypoints.cli import main

main()
