using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace OtelStorage.Testing;

/// <summary>
/// Waits for something that happens asynchronously by asking again until it holds or a deadline passes, so no test
/// sleeps for a fixed time. Each probe gets a token that ends at the deadline, so a probe that hangs counts as "not
/// yet"; the caller's token ends the wait as a cancellation, not as a timeout. Exceptions from a probe end the wait.
/// </summary>
public static class Eventually
{
    /// <summary>The pause between two probes unless the caller gives another.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Waits until <paramref name="condition"/> is true. After <paramref name="timeout"/> it throws a
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> (by default the condition's source text).
    /// </summary>
    public static Task TrueAsync(
        Func<bool> condition,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? what = null,
        TimeSpan? interval = null,
        [CallerArgumentExpression(nameof(condition))] string expression = "") =>
        TrueAsync(_ => Task.FromResult(condition()), timeout, cancellationToken, what ?? $"`{expression}`", interval);

    /// <inheritdoc cref="TrueAsync(Func{bool}, TimeSpan, CancellationToken, string?, TimeSpan?, string)"/>
    public static Task TrueAsync(
        Func<CancellationToken, Task<bool>> condition,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? what = null,
        TimeSpan? interval = null,
        [CallerArgumentExpression(nameof(condition))] string expression = "") =>
        PollAsync(condition, holds => holds, timeout, interval, what ?? $"`{expression}`", (_, _) => string.Empty, cancellationToken);

    /// <summary>
    /// Reads a value until <paramref name="until"/> accepts it, and returns that value. After <paramref name="timeout"/>
    /// it throws a <see cref="TimeoutException"/> naming <paramref name="what"/> (by default the source text of both
    /// functions) and the last value read, as <paramref name="describe"/> writes it when given.
    /// </summary>
    public static Task<T> ValueAsync<T>(
        Func<CancellationToken, Task<T>> read,
        Func<T, bool> until,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? what = null,
        Func<T, string>? describe = null,
        TimeSpan? interval = null,
        [CallerArgumentExpression(nameof(read))] string readExpression = "",
        [CallerArgumentExpression(nameof(until))] string untilExpression = "") =>
        PollAsync(
            read,
            until,
            timeout,
            interval,
            what ?? $"`{untilExpression}` on `{readExpression}`",
            (last, wasRead) => wasRead ? "; the last value read was " + (describe ?? Describe)(last!) : "; no value was read",
            cancellationToken);

    private static async Task<T> PollAsync<T>(
        Func<CancellationToken, Task<T>> read,
        Func<T, bool> until,
        TimeSpan timeout,
        TimeSpan? interval,
        string what,
        Func<T?, bool, string> lastSeen,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        T? last = default;
        var wasRead = false;
        try
        {
            while (true)
            {
                last = await read(deadline.Token);
                wasRead = true;
                if (until(last))
                {
                    return last;
                }

                await Task.Delay(interval ?? DefaultInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Timed out after {timeout} waiting for {what}{lastSeen(last, wasRead)}", e);
        }
    }

    private static string DescribeItems(List<object?> items) =>
        $"{items.Count} items [{string.Join(", ", items.Take(20).Select(i => Describe(i)))}{(items.Count > 20 ? ", ..." : string.Empty)}]";

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        string text => text,
        IEnumerable items => DescribeItems(items.Cast<object?>().ToList()),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
