# syntax=docker/dockerfile:1
# gantry server image: a static gantry binary and Terraform, run as a non-root user.

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
 && useradd --system --uid 10001 --home-dir /var/lib/gantry --create-home gantry
COPY --from=build /out/gantry /out/terraform /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/gantry
ENV GANTRY_DATA_DIR=/var/lib/gantry GANTRY_ADDR=:8080 GANTRY_TERRAFORM_BIN=/usr/local/bin/terraform
EXPOSE 8080
ENTRYPOINT ["gantry"]
CMD ["serve"]
