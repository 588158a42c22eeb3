namespace OtelStorage.Chaos.Tests;

/// <summary>
/// How big a chaos run is. The reduced size runs in <c>make test</c> (the whole project in about 3 minutes on 2 cores);
/// the full size runs with <c>OTELSTORAGE_CHAOS=full</c> (<c>make chaos</c>). docs/RELIABILITY.md lists both.
/// </summary>
public sealed record ChaosSize
{
    public const string EnvironmentVariable = "OTELSTORAGE_CHAOS";

    /// <summary>Where the markdown summary goes; default <c>TestResults/chaos-{size}.md</c> under the repository root.</summary>
    public const string ReportEnvironmentVariable = "OTELSTORAGE_CHAOS_REPORT";

    public static ChaosSize Reduced { get; } = new()
    {
        Name = "reduced",
        SpansPerSecond = 1_500,
        SpansPerRequest = 100,
        ActiveTraces = 2,
        SpansPerTrace = 1_000,
        LoadBeforeFault = TimeSpan.FromSeconds(2),
        DownTime = TimeSpan.FromSeconds(1),
        StorePause = TimeSpan.FromSeconds(10),
        QueueFullHold = TimeSpan.FromSeconds(5),
        RecoveryTimeout = TimeSpan.FromSeconds(60),
        TestTimeout = TimeSpan.FromMinutes(8),
    };

    public static ChaosSize Full { get; } = new()
    {
        Name = "full",
        SpansPerSecond = 3_000,
        SpansPerRequest = 200,
        ActiveTraces = 2,
        SpansPerTrace = 2_000,
        LoadBeforeFault = TimeSpan.FromSeconds(20),
        DownTime = TimeSpan.FromSeconds(5),
        StorePause = TimeSpan.FromSeconds(30),
        QueueFullHold = TimeSpan.FromSeconds(30),
        RecoveryTimeout = TimeSpan.FromSeconds(120),
        TestTimeout = TimeSpan.FromMinutes(20),
    };

    public static ChaosSize Current { get; } =
        string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "full", StringComparison.OrdinalIgnoreCase) ? Full : Reduced;

    public required string Name { get; init; }

    /// <summary>Offered load. The driver paces requests to it and never exceeds it (retries included).</summary>
    public double SpansPerSecond { get; init; }

    public int SpansPerRequest { get; init; }

    /// <summary>
    /// Traces receiving spans at once: each request carries a slice of each, so each block holds spans of about this
    /// many traces, and a trace lookup reads fewer blocks the fewer traces share them.
    /// </summary>
    public int ActiveTraces { get; init; }

    /// <summary>Spans per trace: many, so that the traces to verify stay few.</summary>
    public int SpansPerTrace { get; init; }

    /// <summary>Load acknowledged before each fault (as time at the offered rate).</summary>
    public TimeSpan LoadBeforeFault { get; init; }

    /// <summary>How long a SIGKILLed process stays down before it is started again.</summary>
    public TimeSpan DownTime { get; init; }

    /// <summary>How long s3rver stays SIGSTOPped (a hung store).</summary>
    public TimeSpan StorePause { get; init; }

    /// <summary>How long the full queue keeps refusing load before s3rver comes back.</summary>
    public TimeSpan QueueFullHold { get; init; }

    /// <summary>The deadline of every wait for recovery: a service ready, an export accepted, data queryable.</summary>
    public TimeSpan RecoveryTimeout { get; init; }

    /// <summary>The whole scenario's deadline.</summary>
    public TimeSpan TestTimeout { get; init; }
}
