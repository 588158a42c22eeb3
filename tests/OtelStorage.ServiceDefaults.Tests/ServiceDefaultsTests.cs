using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace OtelStorage.ServiceDefaults.Tests;

/// <summary>The log levels, untraced paths and server port every service gets from ServiceDefaults.</summary>
public sealed class ServiceDefaultsTests : IDisposable
{
    private readonly ConfigurationScope _scope = new();

    [Fact]
    public void AspNetCoresRequestLinesAreAtWarningUnlessConfigurationSaysOtherwise()
    {
        Assert.Equal("Warning", _scope.Build()["Logging:LogLevel:Microsoft.AspNetCore"]);

        _scope.Write("otelstorage.yaml", "Logging:\n  LogLevel:\n    Microsoft.AspNetCore: Information\n");
        Assert.Equal("Information", _scope.Build()["Logging:LogLevel:Microsoft.AspNetCore"]);
    }

    [Fact]
    public void WithoutServerPortAServiceListensOnItsOwnPortKeyOrItsDefault()
    {
        Assert.Equal(4319, _scope.Build("--Otlp:HttpPort=4319").GetServerPort("Otlp:HttpPort", 4318));
        Assert.Equal(4318, _scope.Build().GetServerPort("Otlp:HttpPort", 4318));
    }

    [Theory]
    [InlineData("/health", true)]
    [InlineData("/health/metrics", true)]
    [InlineData("/alive", true)]
    [InlineData("/v1/traces", true)]
    [InlineData("/opentelemetry.proto.collector.trace.v1.TraceService/Export", true)]
    [InlineData("/traces/5b8efff798038103d269b633813fc60c", false)]
    [InlineData("/healthy", false)]
    public void ProbesAndOtlpIngestAreNotTraced(string path, bool untraced) =>
        Assert.Equal(untraced, Extensions.IsUntracedPath(new PathString(path)));

    public void Dispose() => _scope.Dispose();
}
