# Product Ops Health: one image for every process (the dashboard, the scheduled sync, the loads).
# It installs the way the README's quick start does (scripts/python-env.sh: Debian's Python, a
# virtualenv in .venv, the pinned requirements.txt), and runs the dashboard with `streamlit run`.
# docs/deployment.md says how to run each process and how to configure them by environment.
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt ./
COPY scripts/python-env.sh scripts/
RUN bash -c 'source scripts/python-env.sh && ensure_venv requirements.txt' \
 && rm -rf /root/.cache/pip

COPY .streamlit/config.toml .streamlit/
COPY prodops.example.toml ./
COPY pages/ pages/
COPY assets/ assets/
COPY connectors/ connectors/
COPY dashboard/ dashboard/

RUN useradd --system --create-home --home-dir /home/prodops prodops \
 && mkdir -p /app/data && chown prodops /app/data
USER prodops

# Defaults: a DuckDB file in the /app/data volume. A shared deployment sets
# PRODOPS_DB=postgresql://... (and mounts prodops.toml, named by PRODOPS_CONFIG).
ENV PRODOPS_DB=/app/data/prodops.duckdb \
    PYTHONUNBUFFERED=1
VOLUME ["/app/data"]
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD curl -fsS http://localhost:8501/_stcore/health || exit 1

# The dashboard. The sync job runs the same image with:  .venv/bin/python -m dashboard sync all
CMD [".venv/bin/python", "-m", "streamlit", "run", "dashboard/entrypoint/streamlit_app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
