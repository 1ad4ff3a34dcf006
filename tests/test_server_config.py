"""The settings in .streamlit/config.toml that capacity depends on, read back the way Streamlit reads them."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_READ = """
from streamlit import config
config.get_config_options(force_reparse=True)
for key in ("runner.postScriptGC", "server.fileWatcherType", "server.enableXsrfProtection"):
    print(key, config.get_option(key))
"""


def test_streamlit_reads_the_capacity_settings():
    # A fresh interpreter in the project directory: Streamlit finds .streamlit/config.toml there, as `make run`
    # and every deployment do. A misspelt section or key would leave Streamlit's default (True: a full garbage
    # collection after every script run, which under 25 sessions was 70% of the scripts' CPU; issue 28).
    done = subprocess.run([sys.executable, "-c", _READ], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=True)
    seen = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert seen == {"runner.postScriptGC": "False", "server.fileWatcherType": "none",
                    "server.enableXsrfProtection": "True"}, done.stdout + done.stderr
