using System.Diagnostics;
using System.Threading.Channels;
using OtelStorage.LoadGen.Sending;
using OtelStorage.LoadGen.Verification;
using OtelStorage.LoadGen.Workload;

namespace OtelStorage.LoadGen.Running;

/// <summary>
/// Patches requests from the template pool on one thread and exports them from <see cref="LoadOptions.Concurrency"/>
/// workers, paced to the target rate, until the duration or span count is reached.
/// </summary>
public sealed class LoadRunner(LoadOptions options, OtlpSender sender, RequestTemplatePool templates)
{
    public LoadStatistics Statistics { get; } = new();

    /// <summary>The spans acknowledged in full, for verification (with <see cref="LoadOptions.TrackAcknowledged"/>).</summary>
    public SpanLedger Ledger { get; } = new();

    public Stopwatch Elapsed { get; } = new();

    /// <summary>CPU time of the whole process while the run sent: the load generator's own cost.</summary>
    public TimeSpan CpuTime { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.Duration is null && options.TotalSpans is null)
        {
            throw new ArgumentException("Give a duration, a span count or both.");
        }

        var requests = Channel.CreateBounded<PatchedRequest>(new BoundedChannelOptions(options.Concurrency * 2)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var cpuBefore = ProcessCpuTime();
        Elapsed.Start();
        var producer = Task.Run(() => ProduceAsync(requests.Writer, cancellationToken), cancellationToken);
        var workers = Enumerable.Range(0, options.Concurrency)
            .Select(_ => Task.Run(() => SendAsync(requests.Reader, cancellationToken), cancellationToken))
            .ToArray();
        await producer;
        await Task.WhenAll(workers);
        Elapsed.Stop();
        CpuTime = ProcessCpuTime() - cpuBefore;
    }

    internal static TimeSpan ProcessCpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    internal static ulong UnixNanoNow() => (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    private async Task ProduceAsync(ChannelWriter<PatchedRequest> writer, CancellationToken cancellationToken)
    {
        try
        {
            var total = options.TotalSpans ?? long.MaxValue;
            var produced = 0L;
            while (!cancellationToken.IsCancellationRequested
                   && produced < total
                   && (options.Duration is null || Elapsed.Elapsed < options.Duration))
            {
                var request = templates.Next(UnixNanoNow());
                produced += request.SpanCount;
                if (options.Rate > 0)
                {
                    var due = TimeSpan.FromSeconds(produced / options.Rate) - Elapsed.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken);
                    }
                }

                await writer.WriteAsync(request, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: stop producing, let the workers drain.
        }
        finally
        {
            writer.Complete();
        }
    }

    private async Task SendAsync(ChannelReader<PatchedRequest> reader, CancellationToken cancellationToken)
    {
        await foreach (var request in reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                await ExportAsync(request, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                request.Dispose();
            }
        }
    }

    private async Task ExportAsync(PatchedRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await sender.SendAsync(request.Bytes, cancellationToken);
        var latency = Stopwatch.GetElapsedTime(started);
        if (!result.Acknowledged)
        {
            Statistics.RecordFailure(request.SpanCount, result.ErrorKind ?? "error", latency);
            return;
        }

        Statistics.RecordSuccess(request.SpanCount, result.RejectedSpans, latency);
        // With a partial success we cannot tell which spans were kept, so only whole acceptances are verified. Failed
        // requests are not recorded: each trace travels whole in one request, so no verified trace holds their spans.
        if (options.TrackAcknowledged && result.RejectedSpans == 0)
        {
            Ledger.Acknowledge(request);
        }
    }
}
