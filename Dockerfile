# syntax=docker/dockerfile:1
# maillage server image. It has no PostgreSQL of its own: give it
# DATABASE_URL (docker-compose.yml runs PostGIS beside it).

FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY frontend/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=frontend /src/frontend/dist/ ./frontend/dist/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/maillage ./cmd/maillage

FROM debian:12-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --uid 10001 --user-group --home-dir /var/lib/maillage --create-home maillage
COPY --from=build /out/maillage /usr/local/bin/maillage
USER maillage
WORKDIR /var/lib/maillage
ENV MAILLAGE_ADDR=:8080 \
	MAILLAGE_DATA_DIR=/var/lib/maillage
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/maillage"]
CMD ["serve"]
