using System.Text.RegularExpressions;
using RabbitMQ.Client;

namespace OtelStorage.Messaging.Connection;

/// <summary>What a client does with its connection, which decides how the connection behaves.</summary>
public enum BrokerClientKind
{
    /// <summary>
    /// Keeps its connection, as a publisher (or the AppHost's broker probe) does: the client library recovers the
    /// connection, channels and topology every second after a failure, connects within 5 s and sends heartbeats every
    /// 15 s, so requests never wait long on a broker that is gone.
    /// </summary>
    Publisher,

    /// <summary>
    /// Consumes with manual acknowledgements: no automatic recovery, because a recovered channel restarts delivery
    /// tags, so the consumer drops its unacknowledged work and starts a clean session instead
    /// (<see cref="Consuming.ConsumerSessions"/>). The client library's default timeouts.
    /// </summary>
    Consumer,
}

/// <summary>The one place a RabbitMQ connection factory is built from the <c>messaging</c> connection string.</summary>
public static partial class BrokerConnectionFactory
{
    /// <summary>The connection string's name: <c>ConnectionStrings:messaging</c>, which the AppHost sets.</summary>
    public const string ConnectionStringName = "messaging";

    private const string Example = "amqp://user:password@host:5672/vhost";

    /// <summary>
    /// A factory for <paramref name="connectionString"/> (an AMQP URI: <c>amqp://user:password@host:port/vhost</c>,
    /// or <c>amqps://</c> for TLS), set up for <paramref name="kind"/>, whose connections the broker lists as
    /// <paramref name="clientName"/>. Throws <see cref="InvalidOperationException"/> naming the problem when the
    /// string is missing or is not such a URI; the password is never part of the message.
    /// </summary>
    public static ConnectionFactory Create(string? connectionString, string clientName, BrokerClientKind kind)
    {
        var factory = FromUri(connectionString);
        factory.ClientProvidedName = clientName;
        if (kind == BrokerClientKind.Publisher)
        {
            factory.AutomaticRecoveryEnabled = true;
            factory.TopologyRecoveryEnabled = true;
            factory.NetworkRecoveryInterval = TimeSpan.FromSeconds(1);
            factory.RequestedConnectionTimeout = TimeSpan.FromSeconds(5);
            factory.RequestedHeartbeat = TimeSpan.FromSeconds(15);
        }
        else
        {
            factory.AutomaticRecoveryEnabled = false;
            factory.TopologyRecoveryEnabled = false;
        }

        return factory;
    }

    /// <summary>
    /// The broker <paramref name="connectionString"/> names, read exactly as <see cref="Create"/> reads it, for what
    /// reaches the broker by other means (Health.Api's management API calls). Throws as <see cref="Create"/> does.
    /// </summary>
    public static BrokerAddress ParseAddress(string? connectionString)
    {
        var factory = FromUri(connectionString);
        return new BrokerAddress(factory.HostName, factory.Endpoint.Port, factory.UserName, factory.Password, factory.VirtualHost, factory.Ssl.Enabled);
    }

    /// <summary>A connector that opens a new connection from <see cref="Create"/>'s factory on each call.</summary>
    public static BrokerConnector CreateConnector(string? connectionString, string clientName, BrokerClientKind kind)
    {
        var factory = Create(connectionString, clientName, kind);
        return cancellationToken => factory.CreateConnectionAsync(cancellationToken);
    }

    /// <summary>
    /// Options for a channel whose publishes complete when the broker confirms them (or fail on a nack or a return).
    /// The client's default limiter throttles at 64 outstanding confirms; callers bound their own publishes instead.
    /// </summary>
    public static CreateChannelOptions ConfirmingChannel() =>
        new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null);

    private static ConnectionFactory FromUri(string? connectionString)
    {
        var factory = new ConnectionFactory();
        try
        {
            factory.Uri = ParseUri(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} '{Redact(connectionString!)}' is not a usable AMQP URI: {e.Message}", e);
        }

        return factory;
    }

    private static Uri ParseUri(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not set: give the AMQP URI of the broker, such as {Example}.");
        }

        if (!Uri.TryCreate(connectionString.Trim(), UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} '{Redact(connectionString)}' is not an absolute URI: give one such as {Example}.");
        }

        if (uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} must use the amqp or amqps scheme, got '{uri.Scheme}': give a URI such as {Example}.");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} '{Redact(connectionString)}' names no host: give a URI such as {Example}.");
        }

        if (uri.AbsolutePath.Length > 1 && uri.AbsolutePath.IndexOf('/', 1) >= 0)
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} '{Redact(connectionString)}' has more than one path segment; the path is the virtual host, with '/' written as %2F.");
        }

        return uri;
    }

    /// <summary>The connection string with its password replaced, for error messages.</summary>
    private static string Redact(string connectionString) => Password().Replace(connectionString.Trim(), "$1***@");

    [GeneratedRegex("^([^:/]+://[^:@/]*:)[^@/]*@")]
    private static partial Regex Password();
}
