"""File transfer on the relay as a sans-I/O core, shaped like the client's (client/engine/transfers/).

- state.py: transfers, recipients and how a transfer ends; outputs.py: what to tell whom.
- requests.py: `FileTransfers`, what each file request, new data channel and freed seat does.
- pacing.py: `FramePacer`, chunk frames in from senders and out to the recipients who expect
  them, round by round within the per-user and relay budgets.

No asyncio, sockets, clock or channels here; time is passed in. The shell that owns the channels,
the pacing task and the metrics is relay/sfu/datachannels.py (`FileRelay`).
"""
