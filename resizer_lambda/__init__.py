"""The on-demand image resizer Lambda: plain Python, Pillow and boto3; never Django."""
