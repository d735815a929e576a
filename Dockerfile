# seatbot serve in a container. Secrets come from the environment at run time:
#   docker run -e SLACK_BOT_TOKEN -e GOOGLE_APPLICATION_CREDENTIALS=/secrets/sa.json \
#     -v /srv/seatbot/secrets:/secrets:ro -v /srv/seatbot/state:/app/state seatbot
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md run.py ./
COPY bot/ bot/
COPY schemas/ schemas/
COPY config/ config/
COPY examples/ examples/
RUN pip install --no-cache-dir . && useradd --create-home seatbot \
    && mkdir -p state out && chown seatbot state out
USER seatbot
# Exit 0 when the last poll succeeded recently, 1 otherwise.
HEALTHCHECK --interval=5m --timeout=30s CMD ["python", "run.py", "status"]
# SIGTERM lets the poll in progress finish, then seatbot exits 0.
CMD ["python", "run.py", "serve"]
