"""The vendored QR decoder (jsQR, for browsers without BarcodeDetector) reads a ticket's QR
code as the ticket page draws it: run under Node on the pixels of the same QR image."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from PIL import Image

from workflows.activities.models import new_ticket_token
from workflows.activities.registration_views import ticket_payload

JSQR = Path(__file__).resolve().parents[3] / "static/vendor/jsqr-1.4.0/jsQR.js"
DECODE = """
const jsQR = require(process.argv[1]);
const fs = require("fs");
const [width, height] = JSON.parse(process.argv[2]);
const pixels = new Uint8ClampedArray(fs.readFileSync(process.argv[3]));
const found = jsQR(pixels, width, height);
process.stdout.write(JSON.stringify(found ? found.data : null));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_vendored_decoder_reads_a_ticket_qr_code(tmp_path, settings):
    payload = ticket_payload(new_ticket_token())
    image_path = tmp_path / "qr.png"
    segno.make(payload, error="m").save(image_path, scale=6, border=4)
    with Image.open(image_path) as image:
        rgba = image.convert("RGBA")
    raw = tmp_path / "qr.rgba"
    raw.write_bytes(rgba.tobytes())
    result = subprocess.run(
        ["node", "-e", DECODE, str(JSQR), json.dumps(rgba.size), str(raw)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == payload
