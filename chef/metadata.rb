# The midonet_vpc cookbook's metadata.
name 'midonet_vpc'
maintainer 'midonet-vpc'
license 'Apache-2.0'
description 'Provisions the midonet-vpc backend of Eucalyptus VPC: a ZooKeeper ensemble, ' \
            'the MidoNet API gateway, and the translator with its metadata plane, as systemd ' \
            'services; registers hosts and the tunnel zone'
version '0.1.0'
chef_version '>= 15.0'
supports 'debian', '>= 12.0'
supports 'ubuntu', '>= 22.04'
