namespace OtelStorage.Chaos.Tests.Faults;

/// <summary>One fault of a sequence: what breaks, how it is repaired, and how long it stays broken.</summary>
/// <param name="Name">As reported.</param>
/// <param name="InjectAsync">Breaks something; may return a detail for the report (a PID, a count).</param>
/// <param name="RestoreAsync">Restarts (or resumes) it and waits for its readiness.</param>
/// <param name="Outage">How long it stays broken.</param>
/// <param name="ReportsReadiness">Whether restoring waits for a readiness signal worth reporting.</param>
public sealed record Fault(string Name, Func<CancellationToken, Task<string?>> InjectAsync, Func<CancellationToken, Task> RestoreAsync, TimeSpan Outage, bool ReportsReadiness = true)
{
    /// <summary>SIGKILL of a process, which stays down for <paramref name="downTime"/> and is then started again.</summary>
    public static Fault Kill(string name, Action kill, Func<CancellationToken, Task> restartAsync, TimeSpan downTime) =>
        new(name, _ =>
        {
            kill();
            return Task.FromResult<string?>(null);
        }, restartAsync, downTime);

    /// <summary>A fault with nothing to restore, such as connections closed or a file cut off.</summary>
    public static Fault Momentary(string name, Func<CancellationToken, Task<string?>> injectAsync) =>
        new(name, injectAsync, _ => Task.CompletedTask, TimeSpan.Zero, ReportsReadiness: false);
}
