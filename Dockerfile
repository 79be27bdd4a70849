# Backprop Lab server image: the same install and start the test suite performs outside Docker
# (tests/test_install.py): a non-editable `pip install .`, then `backprop-lab`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY server ./server
COPY frontend ./frontend
COPY backprop_lab ./backprop_lab
RUN pip install . && rm -rf /src

RUN useradd --create-home --uid 10001 lab && mkdir /data && chown lab /data
USER lab
WORKDIR /home/lab
# Sessions are saved in /data/sessions.sqlite3: mount a volume there to keep them
# (docker run -v backprop-lab:/data …); --no-persist keeps them in memory only.
ENV BACKPROP_LAB_DATA_DIR=/data
VOLUME /data

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2).status == 200 else 1)"

# --shared-library: every device that reaches the container may change saved experiments and
# lessons (it cannot tell its host's browser from others). To keep the server to this
# computer, publish it on loopback: docker run -p 127.0.0.1:8000:8000 …
CMD ["backprop-lab", "--host", "0.0.0.0", "--port", "8000", "--shared-library"]
