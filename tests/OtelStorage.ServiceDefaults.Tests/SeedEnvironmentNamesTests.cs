using Microsoft.Extensions.Hosting;
using Xunit;

namespace OtelStorage.ServiceDefaults.Tests;

/// <summary>The seed's environment names (README, "Configuration"), each onto the same key as its YAML key.</summary>
public sealed class SeedEnvironmentNamesTests : IDisposable
{
    private readonly ConfigurationScope _scope = new();

    /// <summary>Each name the README documents, the key it sets, and a value to set it to.</summary>
    private static readonly (string Variable, string Key, string Value)[] Names =
    [
        ("SERVER_HOST", "server:host", "0.0.0.0"),
        ("SERVER_PORT", "server:port", "8080"),
        ("STORAGE_BUCKET", "Storage:Bucket", "seed-bucket"),
        ("STORAGE_PREFIX", "Storage:Prefix", "seed-blocks"),
        ("PROCESSING_BATCH_SIZE", "processing:batch_size", "5000"),
        ("PROCESSING_BATCH_TIMEOUT_MS", "processing:batch_timeout_ms", "1500"),
    ];

    public static TheoryData<string, string, string> DocumentedNames
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var (variable, key, value) in Names)
            {
                data.Add(variable, key, value);
            }

            return data;
        }
    }

    [Fact]
    public void EveryNameServiceDefaultsMapsIsTestedHereOntoItsKey()
    {
        var mapped = Extensions.SeedEnvironmentNames
            .Select(n => $"{n.Variable}={n.Key.ToLowerInvariant()}")
            .Order(StringComparer.Ordinal);
        var tested = Names
            .Select(n => $"{n.Variable}={n.Key.ToLowerInvariant()}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(mapped, tested);
        Assert.All(Extensions.SeedEnvironmentNames, n => Assert.Contains(n.Variable, ConfigurationScope.SeedVariables));
    }

    [Theory]
    [MemberData(nameof(DocumentedNames))]
    public void EachSeedNameLandsOnItsConfigurationKey(string variable, string key, string value)
    {
        _scope.Set(variable, value);

        Assert.Equal(value, _scope.Build()[key]);
    }

    [Fact]
    public void ASeedNameWinsOverTheYamlFile()
    {
        _scope.Write("otelstorage.yaml", "storage:\n  bucket: yaml-bucket\nprocessing:\n  batch_size: 5000\n");
        _scope.Set("STORAGE_BUCKET", "seed-bucket");

        var configuration = _scope.Build();

        Assert.Equal("seed-bucket", configuration["Storage:Bucket"]);
        Assert.Equal("5000", configuration["processing:batch_size"]);
    }

    [Fact]
    public void ASeedNameWinsOverTheSectionKeyVariableAndTheCommandLineWinsOverBoth()
    {
        _scope.Set("SERVER_PORT", "8080");
        _scope.Set("server__port", "7070");

        Assert.Equal("8080", _scope.Build()["server:port"]);
        Assert.Equal("9090", _scope.Build("--server:port=9090")["server:port"]);
    }

    [Fact]
    public void ServerPortIsThePortEveryServiceListensOn()
    {
        _scope.Set("SERVER_PORT", "8080");

        var configuration = _scope.Build("--Otlp:HttpPort=4319");

        Assert.Equal(8080, configuration.GetServerPort("Otlp:HttpPort", 4318));
    }

    public void Dispose() => _scope.Dispose();
}
