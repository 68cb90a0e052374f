"""Pure parsing of DMARC aggregate ("rua") reports: no Django, no network.

Reporters send one XML document per policy domain and period (RFC 7489 §7.2 and Appendix C,
RFC 9990 §3 and Appendix A), usually gzip- or zip-compressed and attached to an e-mail
(RFC 7489 §7.2.1.1, RFC 9990 §3.5). The parsing modules go from the outside in:

- ``mime``: an RFC 5322 message, or any uploaded file, to the report payloads inside it;
- ``archives``: gzip/zip/XML told apart by magic bytes, decompressed under an absolute cap;
- ``xmlbytes``: the decompressed bytes checked, bounded and repaired for the XML parser;
- ``xmlparse``: the XML, streamed, to a ``ParsedReport``; ``fields`` builds its values;
- ``types``: those frozen values, ``ParsedReport``, ``Payload`` and ``ReportRejected``.

Storage, deduplication and the mailbox live in the Django modules beside them, which call these.
"""
