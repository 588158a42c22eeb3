using Health.Api.Options;
using Health.Api.Probes;
using Microsoft.Extensions.Options;

namespace Health.Api.Pipeline;

/// <summary>Polls every component at <see cref="HealthOptions.PollInterval"/>, all at once, and records the result.</summary>
public sealed partial class HealthPoller(
    ServiceProbe services,
    RabbitMqProbe broker,
    ObjectStoreProbe store,
    HealthState state,
    IOptions<HealthOptions> options,
    ILogger<HealthPoller> logger) : BackgroundService
{
    private PipelineStatus? _lastStatus;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval);
        do
        {
            try
            {
                await PollOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug in one poll must not stop the next: the report would freeze while looking alive.
                LogPollFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Runs one poll and records it.</summary>
    public async Task<HealthReport> PollOnceAsync(CancellationToken cancellationToken)
    {
        var serviceTasks = options.Value.Services
            .Where(s => s.Value.Enabled)
            .Select(s => services.ProbeAsync(s.Key, s.Value, cancellationToken))
            .ToList();
        var brokerTask = broker.ProbeAsync(cancellationToken);
        var storeTask = store.ProbeAsync(cancellationToken);
        await Task.WhenAll([.. serviceTasks, brokerTask, storeTask]);

        var sample = new PipelineSample(
            DateTimeOffset.UtcNow,
            serviceTasks.Select(t => t.Result).ToList(),
            await brokerTask,
            await storeTask);
        var report = state.Add(sample);

        if (report.Status != _lastStatus)
        {
            // Transitions only: a log line per poll would drown the reasons.
            var level = report.Status == PipelineStatus.Healthy ? LogLevel.Information : LogLevel.Warning;
            if (logger.IsEnabled(level))
            {
                var reasons = string.Join("; ", report.Reasons);
                LogStatusChanged(logger, level, report.Status, reasons);
            }

            _lastStatus = report.Status;
        }

        return report;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Health poll failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);

    [LoggerMessage(Message = "Pipeline is {Status}: {Reasons}")]
    private static partial void LogStatusChanged(ILogger logger, LogLevel level, PipelineStatus status, string reasons);
}
