# syntax=docker/dockerfile:1
# gantry server image: a static gantry binary and Terraform. The server runs as root so that it can
# run every Terraform and build process as the unprivileged gantry-run user (the sandbox, SPEC §10):
# a pull request's Terraform then cannot read the server's environment, key or database.

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
# Terraform 1.5.7 (MPL-licensed) is built from source.
RUN GOBIN=/out go install github.com/hashicorp/terraform@v1.5.7
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -ldflags "-s -w -X github.com/classla/gantry/internal/version.Version=${VERSION}" -o /out/gantry ./cmd/gantry

FROM debian:bookworm-slim
# git: Terraform module sources; ca-certificates: TLS to GitHub and AWS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10002 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gantry-run \
 && install -d -m 0711 /var/lib/gantry
COPY --from=build /out/gantry /out/terraform /usr/local/bin/
# Root, to switch to gantry-run for every child process; gantry itself never runs a repository's code.
USER 0:0
WORKDIR /var/lib/gantry
ENV GANTRY_DATA_DIR=/var/lib/gantry GANTRY_ADDR=:8080 GANTRY_TERRAFORM_BIN=/usr/local/bin/terraform GANTRY_SANDBOX_USER=gantry-run
EXPOSE 8080
ENTRYPOINT ["gantry"]
CMD ["serve"]
