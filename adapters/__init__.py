"""Front doors (HTTP, console, chat platforms): each only converts to and from the bot core."""
