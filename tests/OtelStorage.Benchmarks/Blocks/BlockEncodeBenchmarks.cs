using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OtelStorage.Storage.Blocks;
using OtelStorage.Workload;

namespace OtelStorage.Benchmarks.Blocks;

/// <summary>
/// Block encode, from OTLP protobuf request bodies (as the batcher receives them) to finished Parquet, index and
/// meta bytes, on one thread. Spans/s per core = <see cref="Spans"/> / mean time. Bytes per span (data object) are
/// printed at setup as <c>// bytes/span</c>.
/// </summary>
[MemoryDiagnoser]
public class BlockEncodeBenchmarks
{
    public const int Spans = 100_000;

    private byte[][] _bodies = [];

    [Params(CompressionLevel.Fastest, CompressionLevel.Optimal)]
    public CompressionLevel Compression { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _bodies = [.. new RealisticSpanGenerator(seed: 42).Requests(Spans, 512).Select(r => r.ToByteArray())];
        var block = Encode().GetAwaiter().GetResult();
        Console.WriteLine($"// {Compression}: {block.Meta.SpanCount} spans, {block.Meta.TraceCount} traces, data {block.Data.Length} B = {block.Data.Length / (double)block.Meta.SpanCount:F1} bytes/span, index {block.Index.Length / (double)block.Meta.SpanCount:F1} bytes/span, meta.json {block.Meta.ToJson().Length} B, input {_bodies.Sum(b => b.Length) / (double)block.Meta.SpanCount:F0} protobuf bytes/span");

        // Wall time is inflated when other processes share the cores; CPU time of this process is the per-core cost.
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        const int runs = 5;
        for (var i = 0; i < runs; i++)
        {
            Encode().GetAwaiter().GetResult();
        }

        process.Refresh();
        var seconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        Console.WriteLine($"// {Compression}: {runs * (double)block.Meta.SpanCount / seconds:F0} spans per CPU-second (process CPU time over {runs} encodes, GC included)");
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    public async Task<EncodedBlock> EncodeBlock() => await Encode();

    private async Task<EncodedBlock> Encode()
    {
        var builder = BlockEncodings.Current.CreateBuilder("bench", new BlockBuildOptions { Compression = Compression });
        // As Batcher.Worker does: message bodies straight into the builder, never materialized.
        foreach (var body in _bodies)
        {
            builder.AddProtobuf(body);
        }

        var now = DateTimeOffset.UtcNow;
        return await builder.BuildAsync(BlockId.New(now), now, CancellationToken.None);
    }
}
