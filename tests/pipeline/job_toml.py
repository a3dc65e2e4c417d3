# SPDX-License-Identifier: MIT
"""`streamcp run` configs for the tests that run the command: a JSON Lines file in, a query, a
file sink, then whatever tables a test adds. Standard library only, so the ctest scripts
(cli_end_to_end_test.py, connectors/webhook/webhook_sink_test.py) and pytest
(tests/python/test_archive_azure_blob.py) all import it."""
import json

# The README's seed query (docs/cli.md) as [query] keys.
SEED_QUERY_KEYS = {"value": "temp", "timestamp": "datetime", "partition_by": "device",
                   "confidence": 80, "history": 12, "duration": "30m"}


def file_job(source, sink, query, tables=""):
    """The config text: [source] the file `source`, [query] the keys of `query` (JSON scalars
    are TOML ones), one [[sinks]] file writing `sink`, then `tables` as written."""
    keys = "".join(f"{key} = {json.dumps(value)}\n" for key, value in query.items())
    return f'''
[source]
type = "file"
path = "{source}"

[query]
{keys}
[[sinks]]
type = "file"
path = "{sink}"
{tables}'''
