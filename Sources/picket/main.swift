import PicketCLI
PicketCommand.main()
