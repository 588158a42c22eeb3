namespace OtelStorage.Chaos.Tests;

/// <summary>
/// How big a chaos run is. The reduced size runs in <c>make test</c> (the whole project in about 4.5 minutes on 2 cores);
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
        Realistic = new RealisticLoadSize
        {
            LoadBeforeFault = TimeSpan.FromSeconds(0.5),
            BrokerKills = 2,
            BrokerAppRestarts = 1,
            ConnectionCloses = 1,
            KilledServices = 1,
            SettleTimeout = TimeSpan.FromSeconds(20),
            TestTimeout = TimeSpan.FromMinutes(8),
        },
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
        Realistic = new RealisticLoadSize
        {
            LoadBeforeFault = TimeSpan.FromSeconds(2),
            BrokerKills = 5,
            BrokerAppRestarts = 2,
            ConnectionCloses = 2,
            KilledServices = 4,
            SettleTimeout = TimeSpan.FromSeconds(30),
            TestTimeout = TimeSpan.FromMinutes(40),
        },
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

    /// <summary>The broker faults under the load generator's realistic workload (<see cref="RealisticLoadFaultTests"/>).</summary>
    public required RealisticLoadSize Realistic { get; init; }
}

/// <summary>
/// The size of the scenario under the load generator's workload (issue 21): the same rate, request size and
/// concurrency at both sizes, with more faults, and more load between them, at the full size.
/// </summary>
public sealed record RealisticLoadSize
{
    /// <summary>Offered load: what the load generator offers in issue 21.</summary>
    public double SpansPerSecond { get; init; } = 20_000;

    /// <summary>Spans per request (whole traces of 4 to 30 spans, so about this many).</summary>
    public int SpansPerRequest { get; init; } = 512;

    /// <summary>Requests in flight.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Spans in the load generator's template pool, reused with fresh IDs.</summary>
    public long TemplateSpans { get; init; } = 50_000;

    /// <summary>
    /// Mean load acknowledged before each fault, as time at the offered rate; each fault comes after a seeded random
    /// 0.5 to 1.5 times that, so that it meets publishes, deliveries and batches at a random phase. Load runs only
    /// then and until an export after the repair is acknowledged (<see cref="Faults.FaultSequence.LoadOnlyAroundFaults"/>).
    /// </summary>
    public TimeSpan LoadBeforeFault { get; init; }

    /// <summary>SIGKILLs of the broker's Erlang VM (beam.smp), each followed by a restart over the same data.</summary>
    public int BrokerKills { get; init; }

    /// <summary>Graceful broker restarts: <c>rabbitmqctl stop_app</c>, then <c>start_app</c>.</summary>
    public int BrokerAppRestarts { get; init; }

    /// <summary>Rounds of <c>rabbitmqctl close_connection</c> on every client connection.</summary>
    public int ConnectionCloses { get; init; }

    /// <summary>
    /// Services killed once each, in this order: a Batcher.Worker, Ingest.Api, Compactor.Worker, Query.Api. The reduced
    /// size kills only the Batcher (the loss issue 21 saw): every fault costs a few thousand lookups to verify, and
    /// the other three are killed at the reduced size by <see cref="FaultInjectionTests"/>, under a lighter load.
    /// </summary>
    public int KilledServices { get; init; }

    /// <summary>Once an export sent after a repair is queryable, how long earlier acknowledged spans may still take.</summary>
    public TimeSpan SettleTimeout { get; init; }

    /// <summary>
    /// The scenario's deadline. Verification dominates it: one Query.Api lookup per trace of about 15 spans, after
    /// each fault and again at the end.
    /// </summary>
    public TimeSpan TestTimeout { get; init; }
}
