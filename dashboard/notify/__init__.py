"""Digests: each subscriber's view of the numbers, pushed on a schedule instead of waiting to be opened.

`facts.Facts` reads a store once per run; `digest.build` makes one subscriber's `model.Digest`
(sections of tables and charts, channel-neutral); `mail.message` renders it as an email, with
the charts from the QBR pack's export (`dashboard.report.images`); `smtp.Mailer` sends it and
`sent_log` records it, so `run.run` sends each subscription's period once:

    outcomes = run.run(store, settings, today, send=True)
"""
