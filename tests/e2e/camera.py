"""A ticket in front of a camera: the video Chromium's fake camera plays
(`--use-file-for-fake-video-capture`), for the check-in journey and bench/check_in.py."""

import io

from PIL import Image

# The fake camera's picture: 640 × 480, as a phone's preview might be scaled.
FRAME_WIDTH, FRAME_HEIGHT = 640, 480

# Chromium's switches for a camera that films `video` and asks nobody for permission.
FAKE_CAMERA_ARGS = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


def fake_camera_args(video) -> list[str]:
    return [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={video}"]


def still_video(png: bytes, frames: int = 5) -> bytes:
    """A still video (YUV4MPEG2, 4:2:0) of the image `png` centred on white: what the fake
    camera plays over and over."""
    picture = Image.open(io.BytesIO(png)).convert("L")
    picture.thumbnail((FRAME_HEIGHT - 40, FRAME_HEIGHT - 40))
    frame = Image.new("L", (FRAME_WIDTH, FRAME_HEIGHT), 255)
    frame.paste(picture, ((FRAME_WIDTH - picture.width) // 2, (FRAME_HEIGHT - picture.height) // 2))
    # Black and white carry no colour: both chroma planes stay at their neutral value.
    chroma = bytes([128]) * (FRAME_WIDTH * FRAME_HEIGHT // 2)
    header = f"YUV4MPEG2 W{FRAME_WIDTH} H{FRAME_HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + b"".join(b"FRAME\n" + frame.tobytes() + chroma for _ in range(frames))
