namespace OtelStorage.Messaging.Consuming;

/// <summary>
/// Exponential backoff: <paramref name="Initial"/> doubling per attempt up to <paramref name="Max"/>. With
/// <paramref name="Jitter"/>, each delay is drawn between half and all of that (never below
/// <paramref name="Initial"/>), so replicas that failed together do not retry together.
/// </summary>
public sealed record RetryBackoff(TimeSpan Initial, TimeSpan Max, bool Jitter = true)
{
    /// <summary>The delay before retry number <paramref name="attempt"/> + 1 (attempt 0 follows the first failure).</summary>
    public TimeSpan Delay(int attempt)
    {
        var ceiling = Math.Min(Max.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 30)));
        return Jitter
            ? TimeSpan.FromMilliseconds(Math.Max(Initial.TotalMilliseconds, ceiling * (0.5 + Random.Shared.NextDouble() / 2)))
            : TimeSpan.FromMilliseconds(ceiling);
    }
}
