"""File transfer on the client, in a sans-I/O core and the pieces its shell (client.engine.files) uses.

The core, with no asyncio, sockets, clock or disk (time is passed in as ``now``):
- sending.py: `Outgoing`, one file we send (which chunk goes next, what the relay's answers,
  acknowledgements and cancels mean, offering it again after a relay restart).
- receiving.py: `Incoming`, one file offered to us (checking each chunk, acknowledging, resuming
  after a reconnect, saying a lost final acknowledgement again).
- outputs.py: what their methods return for the shell to do; progress.py: speed and throttling.

For the shell: records.py (what FileService holds per transfer, and the disk actions on a partial
file), disk.py (the blocking disk calls), channel.py (our data channel and the sending loop).
"""
