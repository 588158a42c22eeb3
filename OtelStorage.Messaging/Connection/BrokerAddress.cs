namespace OtelStorage.Messaging.Connection;

/// <summary>
/// The broker a <c>messaging</c> connection string names (<see cref="BrokerConnectionFactory.ParseAddress"/>), with
/// the client library's defaults for what the string leaves out. <see cref="ToString"/> leaves the password out.
/// </summary>
/// <param name="Host">The host name or address.</param>
/// <param name="Port">The AMQP port: the string's, else 5672, or 5671 with TLS.</param>
/// <param name="UserName">The user, unescaped; <c>guest</c> when the string names none.</param>
/// <param name="Password">The password, unescaped; <c>guest</c> when the string gives none.</param>
/// <param name="VirtualHost">The virtual host, unescaped; <c>/</c> when the string names none.</param>
/// <param name="Tls">True for <c>amqps://</c>.</param>
public sealed record BrokerAddress(string Host, int Port, string UserName, string Password, string VirtualHost, bool Tls)
{
    /// <summary>The address as a URI without the password, safe for logs and messages.</summary>
    public override string ToString() =>
        $"{(Tls ? "amqps" : "amqp")}://{Uri.EscapeDataString(UserName)}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
