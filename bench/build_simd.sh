#!/bin/sh
# Optional extra for `bench/run.py --alt-pillow`: build pillow-simd (an AVX2-accelerated fork of
# Pillow, same `PIL` API) from source into bench/.venv-simd, beside the project's stock venv.
# Needs a C compiler and Debian's -dev packages (root: installs them with apt-get).
# It links Debian's libjpeg-turbo and zlib, not the libjpeg-turbo 3 / zlib-ng that Pillow's
# wheels bundle, so JPEG/PNG codec speed differs from stock too: run.py shows decode, resize and
# encode separately.
set -eu
cd "$(dirname "$0")"
PILLOW_SIMD_VERSION=12.1.1.post0
PY=${PYTHON:-$(../.ci/find-python)}
if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q gcc libjpeg62-turbo-dev zlib1g-dev libwebp-dev liblcms2-dev >/dev/null
fi
uv venv --quiet --python "$PY" .venv-simd
# boto3 only: resizer_lambda/requirements.txt would pull stock Pillow over the fork's PIL/.
# -mavx2 is what pillow-simd's docs prescribe for its AVX2 paths (every x86-64 Lambda has AVX2).
CC="cc -mavx2" uv pip install --quiet --python .venv-simd/bin/python \
    --no-binary pillow-simd "pillow-simd==$PILLOW_SIMD_VERSION" "boto3>=1.44,<2"
.venv-simd/bin/python -c 'import PIL; print("pillow-simd", PIL.__version__, "in bench/.venv-simd")'
