using Health.Api.Options;
using Xunit;

namespace Health.Api.Tests;

/// <summary>Where Health.Api finds the management API: its own keys first, then the <c>messaging</c> connection string.</summary>
public sealed class RabbitMqManagementOptionsTests
{
    [Fact]
    public void TheManagementApiIsDerivedFromTheMessagingConnectionString()
    {
        var options = new RabbitMqManagementOptions();

        options.ApplyConnectionString("amqp://us%40er:p%40ss@broker.example:5673/prod");

        Assert.Equal("http://broker.example:15672/", options.ManagementUrl);
        Assert.Equal("us@er", options.Username);
        Assert.Equal("p@ss", options.Password);
        Assert.Equal("prod", options.VirtualHost);
    }

    [Fact]
    public void AnAmqpsBrokerIsAskedOverHttpsAndAStringWithoutCredentialsOrVirtualHostGivesTheBrokersDefaults()
    {
        var options = new RabbitMqManagementOptions();

        options.ApplyConnectionString("amqps://broker.example");

        Assert.Equal("https://broker.example:15672/", options.ManagementUrl);
        Assert.Equal("guest", options.Username);
        Assert.Equal("guest", options.Password);
        Assert.Equal("/", options.VirtualHost);
    }

    [Fact]
    public void KeysThatAreSetWinOverTheConnectionString()
    {
        var options = new RabbitMqManagementOptions { ManagementUrl = "http://mgmt.example:8080/", Username = "monitor" };

        options.ApplyConnectionString("amqp://app:secret@broker.example/prod");

        Assert.Equal("http://mgmt.example:8080/", options.ManagementUrl);
        Assert.Equal("monitor", options.Username);
        Assert.Equal("secret", options.Password);
        Assert.Equal("prod", options.VirtualHost);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void WithoutAConnectionStringNothingIsFilledIn(string? connectionString)
    {
        var options = new RabbitMqManagementOptions();

        options.ApplyConnectionString(connectionString);

        Assert.Null(options.ManagementUrl);
        Assert.Null(options.Username);
    }

    [Fact]
    public void ABadConnectionStringIsRefusedWithMessagingsMessageUnlessEveryKeyIsSet()
    {
        const string bad = "http://guest:hunter2@broker.example:15672/";

        var error = Assert.Throws<InvalidOperationException>(() => new RabbitMqManagementOptions().ApplyConnectionString(bad));
        Assert.Contains("must use the amqp or amqps scheme", error.Message, StringComparison.Ordinal);

        var complete = new RabbitMqManagementOptions { ManagementUrl = "http://mgmt.example:15672/", Username = "u", Password = "p", VirtualHost = "/" };
        complete.ApplyConnectionString(bad);
        Assert.Equal("http://mgmt.example:15672/", complete.ManagementUrl);
    }
}
