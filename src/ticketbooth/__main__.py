from ticketbooth.cli import main

main()
