using Microsoft.Extensions.Logging;

namespace OtelStorage.Messaging.Consuming;

/// <summary>
/// How every consumer of OtelStorage lives with its broker: one session per connection, and when a session fails
/// (the connection or channel closed, the broker is unreachable) a new one after a backoff. Consumers connect
/// without automatic recovery (<see cref="Connection.BrokerClientKind.Consumer"/>), so the broker redelivers what a
/// failed session left unacknowledged.
/// </summary>
public static partial class ConsumerSessions
{
    /// <summary>
    /// Runs <paramref name="runSession"/> again and again until <paramref name="stoppingToken"/> is cancelled,
    /// waiting <paramref name="backoff"/> after each failure. Returns when stopping; never throws for a session.
    /// </summary>
    public static async Task RunAsync(
        Func<CancellationToken, Task> runSession, RetryBackoff backoff, string queue, TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await runSession(stoppingToken);
                attempt = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var delay = backoff.Delay(attempt++);
                LogSessionEnded(logger, e, queue, e.Message, (int)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer session on {Queue} ended: {Reason}; reconnecting in {DelayMs} ms")]
    private static partial void LogSessionEnded(ILogger logger, Exception exception, string queue, string reason, int delayMs);
}
