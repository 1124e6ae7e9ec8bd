from talentqa.cli import main

main()
