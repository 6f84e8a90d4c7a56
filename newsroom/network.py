"""
Where a request comes from, as limits count it.

An IPv6 subscriber is handed a whole /64 and can change addresses within it at
will, so counting single IPv6 addresses counts nothing; an IPv4 address is
usually one household or one carrier's many readers, so it is counted alone.
"""

import ipaddress


def client_address(request):
    """
    The address our own server saw (REMOTE_ADDR): X-Forwarded-For is written by
    the client. Behind a proxy, the proxy sets REMOTE_ADDR (README: deploying).
    """
    return request.META.get("REMOTE_ADDR") or None


def network_of(address, *, ipv4_prefix=32):
    """The network `address` belongs to, as text: an IPv6 /64, an IPv4 /`ipv4_prefix`."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 64 if ip.version == 6 else ipv4_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
