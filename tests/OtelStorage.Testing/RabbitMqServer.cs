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
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString) };
        while (true)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(deadline.Token);
                return;
            }
            catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException && !deadline.IsCancellationRequested)
            {
                if (_broker.HasExited)
                {
                    throw new InvalidOperationException("rabbitmq-server exited during start:\n" + _broker.Output, e);
                }

                await Task.Delay(200, deadline.Token);
            }
        }
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
