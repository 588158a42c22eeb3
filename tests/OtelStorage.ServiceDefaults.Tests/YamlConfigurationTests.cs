using Microsoft.Extensions.Hosting;
using Xunit;

namespace OtelStorage.ServiceDefaults.Tests;

/// <summary>The optional YAML file: the seed's keys land on the configuration keys the README documents.</summary>
public sealed class YamlConfigurationTests : IDisposable
{
    private const string SeedYaml = """
        server:
          host: 0.0.0.0
          port: 8080
        storage:
          bucket: yaml-bucket
          prefix: yaml-blocks
        processing:
          batch_size: 5000
          batch_timeout_ms: 1500
        """;

    private readonly ConfigurationScope _scope = new();

    [Fact]
    public void OtelStorageYamlInTheContentRootMapsEverySeedKeyOntoItsConfigurationKey()
    {
        _scope.Write("otelstorage.yaml", SeedYaml);

        var configuration = _scope.Build();

        Assert.Equal("0.0.0.0", configuration["server:host"]);
        Assert.Equal("8080", configuration["server:port"]);
        Assert.Equal("yaml-bucket", configuration["Storage:Bucket"]);
        Assert.Equal("yaml-blocks", configuration["Storage:Prefix"]);
        Assert.Equal("5000", configuration["processing:batch_size"]);
        Assert.Equal("1500", configuration["processing:batch_timeout_ms"]);
    }

    [Fact]
    public void OtelStorageConfigNamesAnotherFile()
    {
        var path = _scope.Write("elsewhere.yaml", "storage:\n  bucket: named-by-variable\n");
        _scope.Set("OTELSTORAGE_CONFIG", path);

        Assert.Equal("named-by-variable", _scope.Build()["Storage:Bucket"]);
    }

    [Fact]
    public void TheConfigArgumentNamesAnotherFileAndWinsOverTheVariable()
    {
        _scope.Write("variable.yaml", "storage:\n  bucket: named-by-variable\n");
        _scope.Write("argument.yaml", "storage:\n  bucket: named-by-argument\n");
        _scope.Set("OTELSTORAGE_CONFIG", "variable.yaml");

        Assert.Equal("named-by-argument", _scope.Build("--config", "argument.yaml")["Storage:Bucket"]);
    }

    [Fact]
    public void WithoutAYamlFileTheServiceStartsOnItsDefaults()
    {
        var configuration = _scope.Build();

        Assert.Null(configuration["Storage:Bucket"]);
        Assert.Null(configuration["server:port"]);
    }

    [Fact]
    public void EnvironmentVariablesAndTheCommandLineWinOverTheYamlFile()
    {
        _scope.Write("otelstorage.yaml", SeedYaml);
        _scope.Set("Storage__Bucket", "env-bucket");

        var configuration = _scope.Build("--Storage:Prefix=cli-blocks");

        Assert.Equal("env-bucket", configuration["Storage:Bucket"]);
        Assert.Equal("cli-blocks", configuration["Storage:Prefix"]);
        Assert.Equal("5000", configuration["processing:batch_size"]);
    }

    [Fact]
    public void EachSourceOverridesTheOneBelowItAppsettingsThenYamlThenEnvironmentThenCommandLine()
    {
        _scope.Write("appsettings.json", """
            {
              "Storage": { "Bucket": "json-bucket", "Prefix": "json-blocks" },
              "processing": { "batch_size": 1, "batch_timeout_ms": 1 }
            }
            """);
        _scope.Write("otelstorage.yaml", """
            storage:
              prefix: yaml-blocks
            processing:
              batch_size: 2
              batch_timeout_ms: 2
            """);
        _scope.Set("processing__batch_size", "3");
        _scope.Set("processing__batch_timeout_ms", "3");

        var configuration = _scope.Build("--processing:batch_timeout_ms=4");

        Assert.Equal("json-bucket", configuration["Storage:Bucket"]);
        Assert.Equal("yaml-blocks", configuration["Storage:Prefix"]);
        Assert.Equal("3", configuration["processing:batch_size"]);
        Assert.Equal("4", configuration["processing:batch_timeout_ms"]);
    }

    [Fact]
    public void TheYamlFilesServerPortWinsOverTheServicesOwnPortKey()
    {
        _scope.Write("otelstorage.yaml", "server:\n  port: 8080\nQuery:\n  Port: 9999\n");

        Assert.Equal(8080, _scope.Build().GetServerPort("Query:Port", 16686));
    }

    public void Dispose() => _scope.Dispose();
}
