using RabbitMQ.Client;
using Xunit;

namespace OtelStorage.Testing;

/// <summary>
/// Debian's rabbitmq-server run as a plain process, with its own epmd, on free loopback ports, with all its
/// data under one temporary folder (../shared/PLATFORM.md). It can be stopped, killed and started again
/// with the same data, for outage tests. Use it as an xunit class or collection fixture.
/// </summary>
public sealed class RabbitMqServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "otelstorage-rabbitmq-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _nodeName = "otelstorage-test-" + Guid.NewGuid().ToString("N")[..8] + "@localhost";
    private ChildProcess? _epmd;
    private ChildProcess? _broker;

    public int AmqpPort { get; } = FreePort.Next();

    public int ManagementPort { get; } = FreePort.Next();

    public int EpmdPort { get; } = FreePort.Next();

    public int DistributionPort { get; } = FreePort.Next();

    /// <summary>An AMQP URI with the default guest account (allowed from loopback).</summary>
    public string ConnectionString => $"amqp://guest:guest@127.0.0.1:{AmqpPort}/";

    public Uri ManagementUri => new($"http://127.0.0.1:{ManagementPort}/");

    public string Output => _broker?.Output ?? string.Empty;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        await File.WriteAllTextAsync(Path.Combine(_dataDir, "enabled_plugins"), "[rabbitmq_management].");
        _epmd = ChildProcess.Start("epmd", ["-address", "127.0.0.1", "-port", EpmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], new Dictionary<string, string>(), _dataDir);
        await FreePort.WaitForListenerAsync(EpmdPort, StartTimeout);
        await StartAsync();
    }

    /// <summary>Starts the broker (again) over the same data folder and waits until AMQP accepts a connection.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _broker?.Dispose();
        _broker = ChildProcess.Start("/usr/lib/rabbitmq/bin/rabbitmq-server", [], BrokerEnvironment(), _dataDir);
        await WaitForAmqpAsync(cancellationToken);
    }

    /// <summary>
    /// SIGKILL of the Erlang VM (beam.smp) alone, as <c>kill -9</c> of the node would: the launch script then exits
    /// by itself. Returns the PID killed.
    /// </summary>
    public int KillNode()
    {
        var broker = _broker ?? throw new InvalidOperationException("the broker is not running");
        var beam = broker.TreeIds().FirstOrDefault(IsBeam);
        if (beam == 0)
        {
            throw new InvalidOperationException("no beam.smp under the broker's launch script:\n" + broker.Output);
        }

        using (var process = System.Diagnostics.Process.GetProcessById(beam))
        {
            process.Kill();
            process.WaitForExit(10_000);
        }

        return beam;
    }

    /// <summary>
    /// A graceful stop of the RabbitMQ application, the Erlang node staying up: what <c>rabbitmqctl stop_app</c> does
    /// (<c>rabbit:stop()</c> on the node), called with erl_call (see <see cref="RpcAsync"/>).
    /// </summary>
    public Task StopAppAsync(CancellationToken cancellationToken = default) => RpcAsync("rabbit stop", cancellationToken);

    /// <summary>What <c>rabbitmqctl start_app</c> does (<c>rabbit:start()</c>) after <see cref="StopAppAsync"/>; then waits until AMQP accepts a connection.</summary>
    public async Task StartAppAsync(CancellationToken cancellationToken = default)
    {
        await RpcAsync("rabbit start", cancellationToken);
        await WaitForAmqpAsync(cancellationToken);
    }

    /// <summary>
    /// Closes every client connection from the broker's side at once, as <c>rabbitmqctl close_connection</c> does for
    /// each connection that <c>rabbitmqctl list_connections pid</c> lists (<c>rabbit_networking</c>). Returns how many.
    /// </summary>
    public async Task<int> CloseConnectionsAsync(string reason, CancellationToken cancellationToken = default)
    {
        var connections = await RpcAsync("rabbit_networking connections", cancellationToken);
        await RpcAsync($"rabbit_networking close_all_connections [\"{reason}\"]", cancellationToken);
        return connections.Count(c => c == '<');
    }

    /// <summary>Stops the broker cleanly with rabbitmqctl (data is kept).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_broker is null || _broker.HasExited)
        {
            return;
        }

        using var ctl = ChildProcess.Start("/usr/lib/rabbitmq/bin/rabbitmqctl", ["-n", _nodeName, "stop"], BrokerEnvironment(), _dataDir);
        await ctl.WaitForExitAsync(cancellationToken);
        await _broker.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>SIGKILL of the broker, as in a crash.</summary>
    public void Kill() => _broker?.Kill();

    /// <summary>SIGSTOP: connections stay open and writes are buffered by the kernel, but nothing is confirmed, as with a hung broker.</summary>
    public void Pause() => (_broker ?? throw new InvalidOperationException("the broker is not running")).PauseTree();

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => _broker?.ResumeTree();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // Fall through to the kill below.
        }

        _broker?.Dispose();
        _epmd?.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // The broker may still be flushing a file; the folder is under /tmp.
        }
    }

    private async Task WaitForAmqpAsync(CancellationToken cancellationToken)
    {
        var broker = _broker ?? throw new InvalidOperationException("the broker is not running");
        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString) };
        await Eventually.TrueAsync(
            async ct =>
            {
                try
                {
                    await using var connection = await factory.CreateConnectionAsync(ct);
                    return true;
                }
                catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException && !ct.IsCancellationRequested)
                {
                    if (broker.HasExited)
                    {
                        throw new InvalidOperationException("rabbitmq-server exited during start:\n" + broker.Output, e);
                    }

                    return false;
                }
            },
            StartTimeout,
            cancellationToken,
            what: "rabbitmq-server to accept AMQP connections",
            interval: TimeSpan.FromMilliseconds(200));
    }

    /// <summary>
    /// Calls <c>Module Function [Args]</c> on the node with erl_call, the same RPC rabbitmqctl makes, and returns the
    /// result as printed. rabbitmqctl boots an Erlang VM for each call, 2 to 26 s on 2 busy cores, which would put the
    /// fault at an unknown moment and pile up that long of load to verify; erl_call answers in well under a second.
    /// HOME holds the node's Erlang cookie, ERL_EPMD_PORT its epmd.
    /// </summary>
    private async Task<string> RpcAsync(string call, CancellationToken cancellationToken)
    {
        using var erlCall = ChildProcess.Start("/usr/lib/erlang/bin/erl_call", ["-sname", _nodeName, "-a", call], BrokerEnvironment(), _dataDir);
        await erlCall.WaitForExitAsync(cancellationToken).WaitAsync(StartTimeout, cancellationToken);
        return erlCall.ExitCode == 0 && !erlCall.Output.StartsWith("{badrpc", StringComparison.Ordinal)
            ? erlCall.Output
            : throw new InvalidOperationException($"erl_call -a '{call}' on {_nodeName} exited with {erlCall.ExitCode}:\n{erlCall.Output}");
    }

    private static bool IsBeam(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "beam.smp";
        }
        catch (IOException)
        {
            return false; // exited meanwhile
        }
    }

    private Dictionary<string, string> BrokerEnvironment()
    {
        string P(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["HOME"] = _dataDir,
            ["RABBITMQ_NODENAME"] = _nodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = P(AmqpPort),
            ["RABBITMQ_DIST_PORT"] = P(DistributionPort),
            ["ERL_EPMD_PORT"] = P(EpmdPort),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_dataDir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_dataDir, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_dataDir, "enabled_plugins"),
            ["RABBITMQ_FEATURE_FLAGS_FILE"] = Path.Combine(_dataDir, "feature_flags"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] =
                $"-kernel inet_dist_use_interface {{127,0,0,1}} -rabbitmq_management listener [{{port,{P(ManagementPort)}}},{{ip,\"127.0.0.1\"}}]",
        };
    }
}
