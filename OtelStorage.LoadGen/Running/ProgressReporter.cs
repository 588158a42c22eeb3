using System.Globalization;

namespace OtelStorage.LoadGen.Running;

/// <summary>
/// A status line once a second: rate, acknowledged spans, errors and latency. On a terminal it rewrites one line;
/// redirected (CI logs) it prints a line every five seconds.
/// </summary>
public sealed class ProgressReporter(LoadRunner runner, TextWriter output)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var interactive = !Console.IsErrorRedirected;
        var lastSpans = 0L;
        var lastTime = TimeSpan.Zero;
        var tick = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var stats = runner.Statistics;
                var now = runner.Elapsed.Elapsed;
                var acknowledged = stats.SpansAcknowledged;
                var rate = (acknowledged - lastSpans) / Math.Max((now - lastTime).TotalSeconds, 0.001);
                (lastSpans, lastTime) = (acknowledged, now);
                var line = string.Create(
                    CultureInfo.InvariantCulture,
                    $"{now:mm\\:ss} acknowledged {acknowledged,12:N0} spans  {rate,10:N0} spans/s  requests {stats.Requests,8:N0}  failed {stats.FailedRequests,6:N0}  p99 {stats.Latency.Percentile(99),7:F1} ms");
                if (interactive)
                {
                    await output.WriteAsync("\r" + line);
                }
                else if (++tick % 5 == 0)
                {
                    await output.WriteLineAsync(line);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (interactive)
            {
                await output.WriteLineAsync();
            }
        }
    }
}
