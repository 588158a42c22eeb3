using System.Diagnostics;
using Health.Api.Pipeline;

namespace Health.Api.Probes;

/// <summary>Runs one check with a timeout and turns its outcome into a <see cref="CheckResult"/>.</summary>
internal static class Timed
{
    public static async Task<(CheckResult Check, T? Value)> RunAsync<T>(TimeSpan timeout, Func<CancellationToken, Task<T>> check, CancellationToken cancellationToken)
    {
        var checkedAt = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            var value = await check(timeoutSource.Token);
            return (new CheckResult(true, checkedAt, watch.Elapsed.TotalMilliseconds, null), value);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (new CheckResult(false, checkedAt, watch.Elapsed.TotalMilliseconds, $"no answer within {timeout.TotalSeconds:0.#} s"), default);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (new CheckResult(false, checkedAt, watch.Elapsed.TotalMilliseconds, Describe(e)), default);
        }
    }

    /// <summary>The innermost message: "Connection refused (127.0.0.1:5672)" says more than "An error occurred while sending the request".</summary>
    private static string Describe(Exception e)
    {
        while (e.InnerException is not null && e is HttpRequestException or AggregateException)
        {
            e = e.InnerException;
        }

        return e.Message;
    }
}
