using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Xunit;

namespace OtelStorage.Testing;

/// <summary>
/// s3rver (npm, pinned in package.json) run by node on a free loopback port, with its bucket created at start.
/// It can be killed, paused (SIGSTOP) and started again over the same folder. Needs <c>npm ci</c> at the repository root.
/// </summary>
public sealed class S3rverServer : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "otelstorage-s3rver-" + Guid.NewGuid().ToString("N")[..8]);
    private ChildProcess? _process;

    public int Port { get; } = FreePort.Next();

    public string Bucket { get; init; } = "otelstorage";

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The form OtelStorage.Storage reads from <c>ConnectionStrings:objectstore</c>.</summary>
    public string ConnectionString => $"Endpoint={Endpoint};AccessKey={AccessKey};SecretKey={SecretKey};Bucket={Bucket};Region=us-east-1;ForcePathStyle=true";

    public string DataDirectory => _dataDir;

    public string Output => _process?.Output ?? string.Empty;

    public ChildProcess Process => _process ?? throw new InvalidOperationException("s3rver is not started");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        await StartAsync();
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(RepositoryPaths.S3rverScript))
        {
            throw new InvalidOperationException($"s3rver is not installed at {RepositoryPaths.S3rverScript}: run 'npm ci' in {RepositoryPaths.Root} (make does it).");
        }

        _process?.Dispose();
        _process = ChildProcess.Start(
            "node",
            [RepositoryPaths.S3rverScript, "-d", _dataDir, "-p", Port.ToString(CultureInfo.InvariantCulture), "-a", "127.0.0.1", "--configure-bucket", Bucket, "--silent"],
            new Dictionary<string, string>(),
            RepositoryPaths.Root);
        await FreePort.WaitForListenerAsync(Port, TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>An S3 client for s3rver, for assertions on stored objects.</summary>
    public AmazonS3Client CreateClient() =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    /// <summary>SIGKILL, as in a crash; <see cref="StartAsync"/> starts it again over the same folder.</summary>
    public void Kill() => _process?.Kill();

    /// <summary>SIGSTOP: connections are accepted by the kernel but nothing answers, as with a hung store.</summary>
    public void Pause() => Process.Pause();

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Process.Resume();

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Left under /tmp.
        }

        return ValueTask.CompletedTask;
    }
}
