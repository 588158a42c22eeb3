using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Flushes and shuts down the trace, metric and log providers in parallel, within <see cref="Budget"/>, when the host
/// stops. Left to disposal, each provider shuts down in turn with a 5 s timeout, so a slow or hung telemetry endpoint
/// would hold a stopping service for 15 s: longer than orchestrators wait (Aspire's DCP gives up after about 10 s).
/// Registered with the exporters, before the services' own hosted services, so it stops after them.
/// </summary>
internal sealed class TelemetryShutdown(IServiceProvider services) : IHostedService
{
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        var timeout = (int)Budget.TotalMilliseconds;
        var tracer = services.GetService<TracerProvider>();
        var meter = services.GetService<MeterProvider>();
        var logger = services.GetService<LoggerProvider>();
        return Task.WhenAll(
            Task.Run(() => tracer?.Shutdown(timeout), CancellationToken.None),
            Task.Run(() => meter?.Shutdown(timeout), CancellationToken.None),
            Task.Run(() => logger?.Shutdown(timeout), CancellationToken.None));
    }
}
