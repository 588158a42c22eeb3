using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Fuzz.Tests.Generators;
using OtelStorage.Fuzz.Tests.Stack;
using Xunit;

namespace OtelStorage.Fuzz.Tests;

/// <summary>Hostile OTLP/HTTP requests to the live Ingest.Api: protobuf and JSON bodies, gzip, and headers.</summary>
public sealed class IngestHttpFuzzTests(FuzzStack stack)
{
    [Fact(Timeout = FuzzTimeouts.Test)]
    public async Task HostileProtobufBodiesGetA4xxWithAMessageOrSucceedAndNeverA5xx() =>
        await new FuzzRunner(stack).RunAndAssertAsync([.. IngestCases.HttpProtobuf(stack.Settings.Full)], TestContext.Current.CancellationToken);

    [Fact(Timeout = FuzzTimeouts.Test)]
    public async Task HostileJsonBodiesGetA4xxWithAMessageOrSucceedAndNeverA5xx() =>
        await new FuzzRunner(stack).RunAndAssertAsync([.. IngestCases.HttpJson(stack.Settings.Full)], TestContext.Current.CancellationToken);

    [Fact(Timeout = FuzzTimeouts.Test)]
    public async Task CorruptGzipBombsAndWrongHeadersGetA4xxWithAMessageAndMemoryStaysBounded() =>
        await new FuzzRunner(stack).RunAndAssertAsync([.. IngestCases.HttpEncodings(stack.Settings.Full)], TestContext.Current.CancellationToken);
}

/// <summary>Hostile OTLP/gRPC calls to the live Ingest.Api, as raw HTTP/2 frames so the gRPC framing itself can be broken.</summary>
public sealed class IngestGrpcFuzzTests(FuzzStack stack)
{
    [Fact(Timeout = FuzzTimeouts.Test)]
    public async Task HostileGrpcMessagesFramingAndCompressionGetClientErrorStatusesAndNeverAServerFault() =>
        await new FuzzRunner(stack).RunAndAssertAsync([.. IngestCases.Grpc(stack.Settings.Full)], TestContext.Current.CancellationToken);
}

public static class FuzzTimeouts
{
    /// <summary>One test's limit: generous for the full run; a hang inside a case is caught by the case's own timeout first.</summary>
    public const int Test = 60 * 60 * 1000;
}
