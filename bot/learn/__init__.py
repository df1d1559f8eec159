"""The learning loop's serving side (issue 19): swap promoted adapters in live (`watch`), split a
brand's drafts between its promoted and testing versions and judge them (`stats`), and run the
training loop on a schedule, one replica at a time (`schedule`). The training itself lives in
`training/` and is only ever started as a child process."""
