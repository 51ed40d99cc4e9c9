# NrtCluster node image: the `nrtc` program with GDAL 3.6, run as a non-root user.
#   docker build -t nrtcluster .
#   docker run --rm nrtcluster --help
# docker-compose.cluster.yml runs three nodes of it against PostgreSQL.

# --- build: publish the Host (nrtc.dll with hocon/ and wwwroot/ beside it) ---
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
# hocon/ is linked into the published output by src/Actors/Actors.csproj.
COPY hocon/ hocon/
COPY src/ src/
RUN dotnet publish src/Host/Host.csproj -c Release -o /app

# --- the .NET runtime: since .NET 10 Microsoft publishes Ubuntu images only, so this stage just lends its runtime ---
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dotnet

# --- runtime: Debian 12 because the GDAL binding loads libgdal.so.32 (GDAL 3.6), which is bookworm's libgdal32 ---
FROM debian:bookworm-slim AS runtime
# Settings first and the program last: a change to the sources then rebuilds one layer of this stage, not six (each
# step copies the whole file system under the vfs storage driver).
# Set as in Microsoft's own images, where tools and libraries look for it to know they run in a container.
ENV DOTNET_RUNNING_IN_CONTAINER=true
# 4053: Akka remoting (cluster profile); 8080: HTTP (WMS, alert feed, status, /healthz, /readyz).
EXPOSE 4053 8080
# Liveness of the HTTP server on its default port; a node started with another --http-port needs its own check
# (docker-compose.cluster.yml sets its own, on /readyz).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "nrtc.dll"]
CMD ["--help"]
WORKDIR /app
# libgdal32 brings gdal-data and proj-data; libicu72, libssl3, tzdata and ca-certificates are what .NET needs;
# curl serves the health check. A fixed uid, so files in the shared output volume belong to the same user on every node.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgdal32 libicu72 libssl3 tzdata ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && useradd --system --uid 10001 --create-home nrtc \
 && mkdir -p /output /project \
 && chown nrtc /output
USER nrtc
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
COPY --from=build /app .
