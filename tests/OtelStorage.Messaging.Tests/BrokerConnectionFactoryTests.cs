using OtelStorage.Messaging.Connection;
using OtelStorage.Testing;
using RabbitMQ.Client;
using Xunit;

namespace OtelStorage.Messaging.Tests;

public sealed class BrokerConnectionFactoryTests
{
    [Fact]
    public void TheUriGivesTheHostPortCredentialsAndVirtualHost()
    {
        var factory = BrokerConnectionFactory.Create("amqp://alice:s3cret@broker.example:5673/prod", "test", BrokerClientKind.Consumer);

        Assert.Equal("broker.example", factory.HostName);
        Assert.Equal(5673, factory.Endpoint.Port);
        Assert.Equal("alice", factory.UserName);
        Assert.Equal("s3cret", factory.Password);
        Assert.Equal("prod", factory.VirtualHost);
        Assert.False(factory.Ssl.Enabled);
    }

    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1")]
    [InlineData("amqp://guest:guest@127.0.0.1/")]
    [InlineData(" amqp://guest:guest@127.0.0.1:5672/ ")]
    public void WithoutAPortOrAVirtualHostTheDefaultsApply(string connectionString)
    {
        var factory = BrokerConnectionFactory.Create(connectionString, "test", BrokerClientKind.Consumer);

        Assert.Equal("127.0.0.1", factory.HostName);
        Assert.Equal(5672, factory.Endpoint.Port);
        Assert.Equal("/", factory.VirtualHost);
    }

    [Fact]
    public void EscapedCharactersInCredentialsAndVirtualHostAreDecoded()
    {
        var factory = BrokerConnectionFactory.Create("amqp://us%40er:p%40ss%3Aw%2Fd@host:5672/%2F", "test", BrokerClientKind.Consumer);

        Assert.Equal("us@er", factory.UserName);
        Assert.Equal("p@ss:w/d", factory.Password);
        Assert.Equal("/", factory.VirtualHost);
    }

    [Fact]
    public void TheAmqpsSchemeTurnsOnTlsOnItsDefaultPort()
    {
        var factory = BrokerConnectionFactory.Create("amqps://user:pass@broker.example/", "test", BrokerClientKind.Publisher);

        Assert.True(factory.Ssl.Enabled);
        Assert.Equal("broker.example", factory.Ssl.ServerName);
        Assert.Equal(5671, factory.Endpoint.Port);
    }

    [Fact]
    public void APublisherRecoversItsConnectionItselfAndFailsFast()
    {
        var factory = BrokerConnectionFactory.Create("amqp://guest:guest@127.0.0.1:5672/", "OtelStorage.Ingest", BrokerClientKind.Publisher);

        Assert.Equal("OtelStorage.Ingest", factory.ClientProvidedName);
        Assert.True(factory.AutomaticRecoveryEnabled);
        Assert.True(factory.TopologyRecoveryEnabled);
        Assert.Equal(TimeSpan.FromSeconds(1), factory.NetworkRecoveryInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), factory.RequestedConnectionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), factory.RequestedHeartbeat);
    }

    [Fact]
    public void AConsumerDoesNotRecoverItsConnectionAndKeepsTheClientsTimeouts()
    {
        var defaults = new ConnectionFactory();

        var factory = BrokerConnectionFactory.Create("amqp://guest:guest@127.0.0.1:5672/", "batcher-a", BrokerClientKind.Consumer);

        Assert.Equal("batcher-a", factory.ClientProvidedName);
        Assert.False(factory.AutomaticRecoveryEnabled);
        Assert.False(factory.TopologyRecoveryEnabled);
        Assert.Equal(defaults.RequestedConnectionTimeout, factory.RequestedConnectionTimeout);
        Assert.Equal(defaults.RequestedHeartbeat, factory.RequestedHeartbeat);
    }

    [Theory]
    [InlineData(null, "ConnectionStrings:messaging is not set: give the AMQP URI of the broker, such as amqp://user:password@host:5672/vhost.")]
    [InlineData("", "ConnectionStrings:messaging is not set")]
    [InlineData("   ", "ConnectionStrings:messaging is not set")]
    [InlineData("rabbit:5672", "must use the amqp or amqps scheme, got 'rabbit'")]
    [InlineData("rabbit.example", "is not an absolute URI: give one such as amqp://user:password@host:5672/vhost")]
    [InlineData("http://rabbit:15672/", "must use the amqp or amqps scheme, got 'http'")]
    [InlineData("amqp://guest:guest@rabbit:5672/a/b", "has more than one path segment; the path is the virtual host, with '/' written as %2F")]
    public void ABadConnectionStringFailsWithAMessageSayingWhatIsWrong(string? connectionString, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => BrokerConnectionFactory.Create(connectionString, "test", BrokerClientKind.Consumer));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("amqp://guest:hunter2@rabbit:5672/a/b")]
    [InlineData("amqp://guest:hunter2@:5672/")]
    [InlineData("amqp://guest:hunter2@rabbit:notaport/")]
    public void ErrorsNeverShowThePassword(string connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => BrokerConnectionFactory.Create(connectionString, "test", BrokerClientKind.Consumer));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Contains("guest:***@", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAddressIsWhatAConnectionFromTheSameStringUses()
    {
        const string connectionString = "amqps://us%40er:p%40ss%3Aw%2Fd@broker.example:5673/prod%2Feu";

        var address = BrokerConnectionFactory.ParseAddress(connectionString);
        var factory = BrokerConnectionFactory.Create(connectionString, "test", BrokerClientKind.Consumer);

        Assert.Equal(new BrokerAddress("broker.example", 5673, "us@er", "p@ss:w/d", "prod/eu", Tls: true), address);
        Assert.Equal((factory.HostName, factory.Endpoint.Port, factory.UserName, factory.Password, factory.VirtualHost, factory.Ssl.Enabled),
            (address.Host, address.Port, address.UserName, address.Password, address.VirtualHost, address.Tls));
    }

    [Theory]
    [InlineData("amqp://127.0.0.1", 5672, false)]
    [InlineData("amqp://127.0.0.1/", 5672, false)]
    [InlineData("amqps://broker.example", 5671, true)]
    public void AnAddressWithoutCredentialsPortOrVirtualHostGetsTheClientsDefaults(string connectionString, int port, bool tls)
    {
        var address = BrokerConnectionFactory.ParseAddress(connectionString);

        Assert.Equal(port, address.Port);
        Assert.Equal(tls, address.Tls);
        Assert.Equal("guest", address.UserName);
        Assert.Equal("guest", address.Password);
        Assert.Equal("/", address.VirtualHost);
    }

    [Theory]
    [InlineData(null, "ConnectionStrings:messaging is not set")]
    [InlineData("http://rabbit:15672/", "must use the amqp or amqps scheme, got 'http'")]
    [InlineData("amqp://guest:hunter2@rabbit:5672/a/b", "has more than one path segment")]
    public void AnAddressIsRefusedWithTheSameMessagesAsAConnection(string? connectionString, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => BrokerConnectionFactory.ParseAddress(connectionString));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAddressPrintsWithoutItsPassword()
    {
        var address = BrokerConnectionFactory.ParseAddress("amqp://alice:hunter2@broker.example:5672/prod");

        Assert.Equal("amqp://alice@broker.example:5672/prod", address.ToString());
    }

    [Fact]
    public void AConfirmingChannelTracksEveryConfirmWithoutTheClientsLimit()
    {
        var options = BrokerConnectionFactory.ConfirmingChannel();

        Assert.True(options.PublisherConfirmationsEnabled);
        Assert.True(options.PublisherConfirmationTrackingEnabled);
        Assert.Null(options.OutstandingPublisherConfirmationsRateLimiter);
    }
}

[Collection(BrokerCollection.Name)]
public sealed class BrokerConnectorTests(RabbitMqServer broker)
{
    [Fact]
    public async Task TheConnectorOpensANewNamedConnectionToTheBrokerOnEveryCall()
    {
        var connect = BrokerConnectionFactory.CreateConnector(broker.ConnectionString, "connector-test", BrokerClientKind.Consumer);

        await using var first = await connect(TestContext.Current.CancellationToken);
        await using var second = await connect(TestContext.Current.CancellationToken);

        Assert.True(first.IsOpen);
        Assert.True(second.IsOpen);
        Assert.NotSame(first, second);
        Assert.Equal("connector-test", first.ClientProvidedName);
        Assert.Equal(broker.AmqpPort, first.Endpoint.Port);
    }
}
