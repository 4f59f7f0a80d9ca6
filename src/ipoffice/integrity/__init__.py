"""Integrity desk: abnormal patent applications (CNIPA Order No. 77 / Announcement No. 411) and bad-faith
trademark filings (Trademark Law Art. 4 etc., SAMR Order No. 17), each flag with its legal basis and evidence.

Layout: `flags.Flag` is what every signal returns; `rules` loads the dated behaviour rules
(`rules/data/integrity/*.yaml`); `signals` is the registry signal functions join with `@signal(...)`.
The desk never imports the service layer; flags are for examiners only (never the public).
"""
