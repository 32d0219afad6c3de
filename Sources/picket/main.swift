import PicketCLI

await PicketCommand.entry()
