using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The setup every OtelStorage service shares: configuration sources, OpenTelemetry to the dashboard,
/// health endpoints, service discovery and resilient outgoing HTTP.
/// </summary>
public static class Extensions
{
    /// <summary>Readiness: every registered check must pass.</summary>
    public const string HealthEndpointPath = "/health";

    /// <summary>Liveness: only checks tagged "live" run.</summary>
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>
    /// The service's counter totals as JSON (<see cref="MetricsSnapshot"/>), polled by Health.Api. It sits under
    /// <see cref="HealthEndpointPath"/> so it is untraced like the other probes.
    /// </summary>
    public const string MetricsSnapshotPath = "/health/metrics";

    /// <summary>
    /// The prefix of every activity source and meter OtelStorage's own code publishes under,
    /// for example <c>OtelStorage.Ingest</c>; all of them are exported.
    /// </summary>
    public const string TelemetryPrefix = "OtelStorage.";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddDefaultLogLevels();
        builder.AddYamlConfiguration();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddSingleton<MetricsSnapshot>();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>
    /// ASP.NET Core's per-request lines ("Request starting", "Request finished") at Warning, as the ASP.NET templates'
    /// appsettings.json sets them, under every other configuration source, so any of them can turn them back on. At
    /// Information they cost Ingest.Api much of its CPU (docs/PERFORMANCE.md, "Where the CPU goes").
    /// </summary>
    public static TBuilder AddDefaultLogLevels<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:Microsoft.AspNetCore", "Warning")],
        });
        return builder;
    }

    /// <summary>
    /// Adds the optional YAML file (path in <c>OTELSTORAGE_CONFIG</c> or <c>--config</c>, default <c>otelstorage.yaml</c>).
    /// It uses the seed's keys (<c>server.port</c>, <c>storage.bucket</c>, ...), which are mapped onto configuration
    /// sections, and maps the seed's environment names (<see cref="SeedEnvironmentNames"/>) onto the same keys.
    /// Precedence, lowest first: appsettings*.json, the YAML file, environment variables (the seed's names above
    /// <c>Section__Key</c>), the command line.
    /// </summary>
    public static TBuilder AddYamlConfiguration<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var path = builder.Configuration["config"] ?? Environment.GetEnvironmentVariable("OTELSTORAGE_CONFIG") ?? "otelstorage.yaml";
        var sources = builder.Configuration.Sources;
        var yaml = new ConfigurationBuilder()
            .SetBasePath(builder.Environment.ContentRootPath)
            .AddYamlFile(path, optional: true, reloadOnChange: false)
            .Sources[0];
        sources.Insert(IndexAfterLast(sources, s => s is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource), yaml);

        var seedValues = SeedEnvironmentNames
            .Select(a => (a.Key, Value: Environment.GetEnvironmentVariable(a.Variable)))
            .Where(a => !string.IsNullOrEmpty(a.Value))
            .ToDictionary(a => a.Key, a => a.Value);
        if (seedValues.Count > 0)
        {
            sources.Insert(
                IndexAfterLast(sources, s => s is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource { Prefix: null or "" }),
                new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = seedValues });
        }

        return builder;
    }

    /// <summary>The seed's environment names and the configuration keys they set, the same keys as its YAML keys.</summary>
    internal static readonly IReadOnlyList<(string Variable, string Key)> SeedEnvironmentNames =
    [
        ("SERVER_HOST", "server:host"),
        ("SERVER_PORT", "server:port"),
        ("STORAGE_BUCKET", "storage:bucket"),
        ("STORAGE_PREFIX", "storage:prefix"),
        ("PROCESSING_BATCH_SIZE", "processing:batch_size"),
        ("PROCESSING_BATCH_TIMEOUT_MS", "processing:batch_timeout_ms"),
    ];

    /// <summary>The position just after the last source that <paramref name="match"/> accepts, or the end when none does.</summary>
    private static int IndexAfterLast(IList<IConfigurationSource> sources, Func<IConfigurationSource, bool> match)
    {
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (match(sources[i]))
            {
                return i + 1;
            }
        }

        return sources.Count;
    }

    /// <summary>
    /// Listens on <c>server:host</c>/<c>server:port</c> (the seed's keys) when they are set, else on
    /// <paramref name="defaultPort"/> from <paramref name="portKey"/>. Aspire passes the port it assigned through that key.
    /// </summary>
    public static int GetServerPort(this IConfiguration configuration, string portKey, int defaultPort) =>
        configuration.GetValue<int?>("server:port") ?? configuration.GetValue<int?>(portKey) ?? defaultPort;

    /// <summary>
    /// Binds Kestrel to <paramref name="port"/> on <c>server:host</c>: loopback (IPv4 and IPv6) when unset or
    /// <c>localhost</c>, every interface for <c>*</c> or <c>0.0.0.0</c>, else the given address.
    /// </summary>
    public static void Listen(this KestrelServerOptions kestrel, IConfiguration configuration, int port, HttpProtocols protocols)
    {
        var host = configuration["server:host"];
        if (string.IsNullOrEmpty(host) || host == "localhost")
        {
            kestrel.ListenLocalhost(port, o => o.Protocols = protocols);
        }
        else if (host is "*" or "0.0.0.0")
        {
            kestrel.ListenAnyIP(port, o => o.Protocols = protocols);
        }
        else
        {
            kestrel.Listen(System.Net.IPAddress.Parse(host), port, o => o.Protocols = protocols);
        }
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix + "*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + "*")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsUntracedPath(context.Request.Path))
                // Outgoing calls to the telemetry endpoint itself are never traced, or every export would make a span.
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = request => !IsHealthProbe(request.RequestUri)));

        builder.AddOpenTelemetryExporters();
        return builder;
    }

    /// <summary>
    /// Health probes and OTLP ingest requests are not traced. Ingest spans would otherwise feed the
    /// dashboard with one span per export, and, if a service were pointed at its own Ingest.Api,
    /// every export would create more spans to export: a self-ingest loop.
    /// </summary>
    public static bool IsUntracedPath(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath)
        || path.StartsWithSegments(AlivenessEndpointPath)
        || path.StartsWithSegments("/v1/traces")
        || path.StartsWithSegments("/opentelemetry.proto.collector.trace.v1.TraceService");

    private static bool IsHealthProbe(Uri? uri) =>
        uri is not null && (uri.AbsolutePath.StartsWith(HealthEndpointPath, StringComparison.Ordinal)
                            || uri.AbsolutePath.StartsWith(AlivenessEndpointPath, StringComparison.Ordinal));

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Only the dashboard (or an operator-chosen collector) receives the services' own telemetry.
        // Aspire sets this variable to the dashboard's OTLP endpoint.
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
            builder.Services.AddHostedService<TelemetryShutdown>();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps readiness at <paramref name="readinessPath"/>, liveness at <see cref="AlivenessEndpointPath"/> and the
    /// counter totals at <see cref="MetricsSnapshotPath"/>. Health.Api passes another readiness path, because its
    /// <c>/health</c> is the whole pipeline's view.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, string readinessPath = HealthEndpointPath)
    {
        // Readiness includes the dependencies (RabbitMQ, object store); liveness only says the process answers.
        app.MapHealthChecks(readinessPath, new HealthCheckOptions { ResponseWriter = WriteHealthJson });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        // Resolved here, not on first request, so the totals count from the start.
        var snapshot = app.Services.GetRequiredService<MetricsSnapshot>();
        app.MapGet(MetricsSnapshotPath, () => snapshot.Read());
        return app;
    }

    private static Task WriteHealthJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description, error = e.Value.Exception?.Message }),
        };
        return context.Response.WriteAsJsonAsync(body);
    }
}
