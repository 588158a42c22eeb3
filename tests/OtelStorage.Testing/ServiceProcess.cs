namespace OtelStorage.Testing;

/// <summary>
/// One of the system's services (Ingest.Api, Batcher.Worker, Query.Api, Health.Api) run from its build output as a
/// plain <c>dotnet</c> process, configured by environment variables, so a test can SIGKILL, pause and restart it
/// exactly as a crash or a hung host would. The projects must be built (the test project references them).
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private readonly string _project;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _readinessUrl;
    private ChildProcess? _process;
    private string _earlierOutput = string.Empty;

    /// <param name="project">The project folder and assembly name, for example <c>Ingest.Api</c>.</param>
    /// <param name="environment">Configuration as environment variables (<c>ConnectionStrings__messaging</c>, ports...).</param>
    /// <param name="readinessUrl">A URL that answers 200 once the service is ready, for example its <c>/health</c>.</param>
    public ServiceProcess(string project, IReadOnlyDictionary<string, string> environment, string readinessUrl)
    {
        _project = project;
        _environment = environment;
        _readinessUrl = readinessUrl;
    }

    public int? Id => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>What the process wrote, after the tail of what earlier runs of it (before a restart) wrote.</summary>
    public string Output => _earlierOutput + (_process?.Output ?? string.Empty);

    /// <summary>The service's DLL in the same build configuration as the running test.</summary>
    public static string AssemblyPath(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryPaths.Root, project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built: reference it from the test project", path);
    }

    /// <summary>Starts (or restarts) the process and waits until the readiness URL answers 200.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is not null)
        {
            _process.Dispose();
            var earlier = _earlierOutput + _process.Output + $"--- {_project} restarted at {DateTimeOffset.Now:HH:mm:ss.fff} ---\n";
            _earlierOutput = earlier.Length > 64 * 1024 ? earlier[^(64 * 1024)..] : earlier;
        }

        var environment = new Dictionary<string, string>(_environment)
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_gcServer"] = "0",
        };
        _process = ChildProcess.Start("dotnet", [AssemblyPath(_project)], environment, Path.Combine(RepositoryPaths.Root, _project));

        var process = _process;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.ValueAsync(
            async ct => !process.HasExited
                ? await IsReadyAsync(http, ct)
                : throw new InvalidOperationException($"{_project} exited during start:\n{process.Output}"),
            ready => ready,
            ReadyTimeout,
            cancellationToken,
            what: $"{_project} to answer 200 at {_readinessUrl}",
            describe: _ => "not ready; its output:\n" + process.Output);
    }

    /// <summary>SIGTERM, as an orchestrator stops a service, and waits until the process has exited; returns its exit code.</summary>
    public async Task<int> TerminateAsync(CancellationToken cancellationToken = default)
    {
        var process = _process ?? throw new InvalidOperationException($"{_project} was not started");
        process.Terminate();
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode;
    }

    /// <summary>SIGKILL, as in a crash: no shutdown hook runs.</summary>
    public void Kill() => _process?.Kill();

    /// <summary>SIGSTOP: the process keeps its sockets and answers nothing.</summary>
    public void Pause() => _process?.Pause();

    /// <summary>SIGCONT.</summary>
    public void Resume() => _process?.Resume();

    public void Dispose() => _process?.Dispose();

    private async Task<bool> IsReadyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(_readinessUrl, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // the request's own timeout: started but not answering yet
        }
    }
}
